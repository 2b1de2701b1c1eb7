"""Polyglot-HRM training data as a Hugging Face ``datasets`` builder (the logic lives in ``polyglot_hrm.dataset``).

    from polyglot_hrm_dataset import PolyglotHRM
    builder = PolyglotHRM(config_name="diff_edit", data_dir="path/to/polyglot-benchmark")
    builder.download_and_prepare()
    ds = builder.as_dataset()

Configurations: ``generation``, ``diff_edit``, ``transfer``; no ``data_dir`` means ``$POLYGLOT_BENCHMARK_ROOT``,
else the built-in mini-benchmark (the rule of every command, ``polyglot_hrm.settings``; the root read is logged at
INFO). ``polyglot-hrm export`` writes the same rows as Parquet with a dataset card, for
``datasets.load_dataset(DIR, "diff_edit")`` and the Hub.
"""

from polyglot_hrm.dataset.builder import PolyglotHRM, PolyglotHRMConfig

__all__ = ["PolyglotHRM", "PolyglotHRMConfig"]
