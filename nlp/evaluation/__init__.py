"""Evaluation: metrics, evaluators and gold matching, used by training, the app and the CLI."""
