"""The polyglot HRM as a Hugging Face model: `HRMConfig`, `HRMModel`, `HRMForCausalLM`.

Importing this package registers the `polyglot_hrm` model type with `AutoConfig`, `AutoModel` and
`AutoModelForCausalLM`, and marks the classes for `register_for_auto_class`, so `save_pretrained` writes
`configuration_hrm.py` and `modeling_hrm.py` next to the weights and the checkpoint loads with
`AutoModelForCausalLM.from_pretrained(path, trust_remote_code=True)` where this package is not installed.
"""

from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

from .configuration_hrm import (
    LANGUAGES,
    NO_PUZZLE,
    TASKS,
    HRMConfig,
    default_puzzle_identifier_names,
    puzzle_identifier_name,
)
from .modeling_hrm import HRMForCausalLM, HRMModel, HRMPreTrainedModel, prompt_inputs_from_ids

__all__ = [
    "HRMConfig",
    "HRMForCausalLM",
    "HRMModel",
    "HRMPreTrainedModel",
    "LANGUAGES",
    "NO_PUZZLE",
    "TASKS",
    "default_puzzle_identifier_names",
    "prompt_inputs_from_ids",
    "puzzle_identifier_name",
    "tiny_config",
]


def tiny_config(**overrides) -> HRMConfig:
    """A test-sized config (hidden 32, one layer per stack, vocab 128): forward+backward in milliseconds."""
    fields = dict(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
        max_position_embeddings=256, H_cycles=2, L_cycles=2, num_segments=2, halt_max_steps=2,
    )
    fields.update(overrides)
    return HRMConfig(**fields)


def _register() -> None:
    """Auto-class registration; idempotent so re-imports (e.g. test reloads) do not raise."""
    try:
        AutoConfig.register(HRMConfig.model_type, HRMConfig)
    except ValueError:
        pass  # already registered
    for auto_cls, model_cls in ((AutoModel, HRMModel), (AutoModelForCausalLM, HRMForCausalLM)):
        try:
            auto_cls.register(HRMConfig, model_cls)
        except ValueError:
            pass
    HRMConfig.register_for_auto_class()
    HRMModel.register_for_auto_class("AutoModel")
    HRMForCausalLM.register_for_auto_class("AutoModelForCausalLM")


_register()
