"""Hemaops: the operations platform of a blood products and services provider."""

__version__ = "0.1.0"
