"""The components context's regulated logic, pure (no Django, no clock): one module per
rule family — ``dating`` (21 CFR 610.53 and post-processing dating, domain-reference.md §2
and conventions C1–C4) and ``compatibility`` (ABO/RhD, §4)."""
