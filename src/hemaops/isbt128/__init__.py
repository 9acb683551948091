"""ISBT 128 data structures, pure Python (no Django).

Structure only: ICCBBA's product descriptions are licensed and are not shipped.
"""
