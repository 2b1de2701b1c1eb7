"""A tiny, randomly initialised Llama chat model built on the spot (no network): the stand-in for any Hub
chat model in the backend tests.

Tokenizer: byte-level BPE (any text encodes), ``<s>``/``</s>``/``<pad>``, a plain chat template, and the line
"\\n```\\n" as one ordinary token. Model: Llama, hidden 32, two layers. Its ``generation_config`` biases that
fence token (``sequence_bias``, a standard generation setting that travels with the checkpoint), so that
even random weights write fenced blocks now and then: in the ``whole`` format a block then stands for the
exercise's one solution file and is executed, and the second attempt sees real test output.
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
FENCE_LINE = "\n```\n"


def build_tiny_chat_model(out: Path, seed: int = 0, fence_bias: float = 4.0) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<pad>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    raw.train_from_iterator(["def solve(x):\n    return x\n", "func Solve() int {\n\treturn 0\n}\n"], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    tokenizer.add_tokens([FENCE_LINE])
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=16384,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    model = LlamaForCausalLM(config)
    fence = tokenizer.convert_tokens_to_ids(FENCE_LINE)
    model.generation_config = GenerationConfig(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id,
                                               sequence_bias=[[[fence], fence_bias]])
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
