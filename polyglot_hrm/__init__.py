"""polyglot-hrm: training data, an HRM model and execution-based scoring for Aider's polyglot benchmark."""

__version__ = "0.1.0"
