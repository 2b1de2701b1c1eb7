"""What training and evaluation share about a model: the prompt format, the tokenizer, generation.

A layer between the dataset and both of its users, so that neither imports the other.
"""
