"""Hypothesis strategies for ISBT 128 values (shared by the property tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from hemaops.isbt128.din import Din

DIGITS = "0123456789"
FIN_FIRST = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"  # ST-001 §2.4.1: A–N, P–Z, 1–9
FIN_SECOND_THIRD = "ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789"  # A–N, P–Z, 0–9

facilities = st.builds(
    lambda a, b, c, d: a + b + c + d,
    st.sampled_from(FIN_FIRST),
    st.sampled_from(FIN_SECOND_THIRD),
    st.sampled_from(FIN_SECOND_THIRD),
    st.text(DIGITS, min_size=2, max_size=2),
)
dins = st.builds(
    Din,
    facility=facilities,
    year=st.text(DIGITS, min_size=2, max_size=2),
    sequence=st.text(DIGITS, min_size=6, max_size=6),
)
# Flags a valid DIN may carry: Type 1 (00–13, 15–19) and Type 2 (20–59) need no DIN; Type 3
# is derived from the DIN by with_check_flags().
free_flags = st.sampled_from([f"{n:02d}" for n in (*range(14), *range(15, 60))])
