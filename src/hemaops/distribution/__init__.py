"""The distribution context: filling hospital orders from the shelf, shipping and returns.

So far only its pure rules (``rules``: substitution, unit picking, return decisions and
shipping containers); the models, services and API follow in later issues."""
