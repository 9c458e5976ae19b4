"""The revisions, one linear chain: 0001_baseline, 0002_exact_money, ..."""
