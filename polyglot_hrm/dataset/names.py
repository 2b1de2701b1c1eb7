"""Configuration and split names (no heavy imports: the CLI reads them at start-up)."""

CONFIG_NAMES = ("generation", "diff_edit", "transfer")
SPLITS = ("train", "validation", "test")
