"""FHIR tests share distribution's fixtures: the ledger, the contracts, the people, the stock."""

from tests.distribution.conftest import *  # noqa: F403
from tests.distribution.conftest import (  # noqa: F401 - fixtures
    catalogue,
    components,
    contract,
    lab,
    ledger,
    other_contract,
    panel,
    people,
    staff,
    stock,
)
