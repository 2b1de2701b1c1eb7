"""What training and evaluation share about a model: the prompt format, the tokenizer, generation, and the
model backends (hrm | transformers chat models | OpenAI-compatible servers | the reference) with the chat
protocol they answer in.

A layer between the dataset and both of its users, so that neither imports the other.
"""
