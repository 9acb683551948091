"""The access walk's table and world, kept apart from its tests (tests/test_access_walk.py).

- ``routes``: every page and API route, the roles allowed, the body a POST sends (``ROUTES``),
  with the routes left out on purpose (``PUBLIC_URL_NAMES``) and the principals walked.
- ``world``: the records each route starts from (``Cast`` and a builder per context), built
  once per module by ``walk_build``.
- ``fingerprint``: the digest of every table that a denied request must leave unchanged.
"""

import pytest

# Their asserts (a record the world or a route's body expects to find) read as they did in the
# test module: pytest rewrites them only in modules it is told of, before they are imported.
pytest.register_assert_rewrite("tests.access_walk.routes", "tests.access_walk.world")
