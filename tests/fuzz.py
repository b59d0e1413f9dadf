"""How many examples each fuzzer tries (hypothesis's ``max_examples``).

``make test`` runs each fuzzer with a small bound, the same every run, to stay within its time;
a long run by hand sets ``FUZZ_EXAMPLES`` for all of them:

    FUZZ_EXAMPLES=500 bash scripts/test.sh tests/test_form_fuzz.py tests/test_api_fuzz.py \
        tests/datain/test_fuzz.py tests/datain/sources/test_fuzz_sources.py tests/scim/test_fuzz.py
"""

import os


def examples(in_make_test: int) -> int:
    """``FUZZ_EXAMPLES`` when set, else the fuzzer's bound for ``make test``."""
    return int(os.environ.get("FUZZ_EXAMPLES") or in_make_test)
