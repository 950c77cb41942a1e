"""schemathesis against the app in-process (ASGI) over the real database: every operation, schema-valid and
schema-violating data, as an admin and as a student. No 5xx, no status the OpenAPI does not document,
no body that does not match its documented schema. Fixed seed, so a failure reproduces."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from system.api.app import create_app
from system.config import SystemConfig
from system.db import Database
from tests.api.conftest import Users, auth

FUZZ_SEED = 1212  # the command-line run recorded in the report used another seed
EXAMPLES = 40  # per operation and role (Hypothesis stops sooner where the inputs are few)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                suppress_health_check=list(HealthCheck))


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "student"])
def test_schemathesis_finds_no_server_error_undocumented_status_or_schema_violation(
        role: str, db: Database, config: SystemConfig, tokens: dict[str, str], users: Users) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(config, strategy="coupled", db=db))
    headers = auth(tokens[role])
    statuses: Counter[int] = Counter()
    per_operation: Counter[str] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Random ids rarely name a user: a third of the cases act on the fixture's real ones, to go deeper.
    known = {"user_id": users.other_student, "specialization": "PLAYER"}
    try:
        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            strategy = (operation.as_strategy(GenerationMode.POSITIVE)
                        | operation.as_strategy(GenerationMode.NEGATIVE)
                        | operation.as_strategy(GenerationMode.POSITIVE,
                                                path_parameters={k: v for k, v in known.items() if k in names}))

            @seed(FUZZ_SEED)
            @FUZZ
            @given(case=strategy)
            def fuzz(case: Any) -> None:
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS)
                statuses[response.status_code] += 1
                per_operation[case.operation.label] += 1

            fuzz()
    finally:
        shutdown_lifespans()  # the app's lifespan, which schemathesis keeps running for the process
    assert len(operations) == len(per_operation) == 8, per_operation  # every operation was really called
    print(f"schemathesis as {role}: {sum(statuses.values())} cases, statuses {dict(sorted(statuses.items()))}")
    assert statuses[200] and statuses[422], statuses  # accepted and refused data both reached the app
    if role == "student":
        assert statuses[403], statuses  # the staff operations refused the student
