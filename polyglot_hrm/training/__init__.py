"""Training: tokenizer, prompt format, collator, samplers, callbacks, training config and pipeline."""
