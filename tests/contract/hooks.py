"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tests.contract.hooks): half the generated reads ask
for the one real, ready film, its first rung, first segment and subtitle track, so fuzzing
reaches the streaming and catalog code behind the "not found" answers, and so do
watch-progress reports, which take nothing away. Other writes keep their generated ids: a
fuzzed re-transcode of the film would take it away mid-run."""

import os

import schemathesis
from hypothesis import strategies as st

REAL = {
    "video_id": int(os.environ["FUZZ_FILM_ID"]),
    "resolution": os.environ["FUZZ_FILM_RUNG"],
    "segment": "segment000.ts",
    "lang": "en",  # the film's subtitle track (tests/contract/conftest.py)
}


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    method, path = context.operation.method.upper(), context.operation.path
    if not path_parameters or not (method == "GET" or path.endswith("/progress/")):
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, REAL[name]]) if name in REAL else st.just(value)
            for name, value in path_parameters.items()
        }
    )
