"""The fuzzers' fast URL paths (tests/fuzz/fast_urls.py) give what requests and urllib3 give."""

from __future__ import annotations

import string
from urllib.parse import quote

import requests
import urllib3.util.url
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz import strategies as s
from tests.fuzz.fast_urls import fast_encode_invalid_chars, fast_requote_uri, fast_url_encoding

# Every byte class that matters: escapes of reserved and unreserved bytes, bare or broken %,
# hex digits in both cases, the sets' other members, and non-ASCII.
_PIECES = st.sampled_from(
    [
        "%",
        "%2",
        "%2F",
        "%2f",
        "%41",
        "%7e",
        "%7E",
        "%E2%82%AC",
        "%zz",
        "%G1",
        "é",
        "😀",
        " ",
        *(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?#[]^`{}|\\\"<>"),
    ]
)
# The fuzzers' strings, but short: their length changes no branch of either function.
_TEXT = st.one_of(
    st.text(max_size=40),
    st.builds(lambda unit, n: unit * n, st.sampled_from(s.LONG_UNITS), st.integers(1, 300)),
)
_URLS = st.one_of(
    st.lists(_PIECES, max_size=30).map("".join),
    _TEXT,
    _TEXT.map(lambda t: quote(t, safe="")),
)
_SETS = [
    urllib3.util.url._PATH_CHARS,
    urllib3.util.url._QUERY_CHARS,
    urllib3.util.url._USERINFO_CHARS,
    urllib3.util.url._UNRESERVED_CHARS,
]


@settings(max_examples=400, derandomize=True, database=None)
@given(url=_URLS)
def test_the_fast_requote_is_requests_own(url: str) -> None:
    assert fast_requote_uri(requests.utils.requote_uri, url) == requests.utils.requote_uri(url)


@settings(max_examples=400, derandomize=True, database=None)
@given(component=_URLS, allowed=st.sampled_from(_SETS))
def test_the_fast_encoding_is_urllib3s_own(component: str, allowed: set[str]) -> None:
    original = urllib3.util.url._encode_invalid_chars
    assert fast_encode_invalid_chars(original, component, allowed) == original(component, allowed)


def test_a_prepared_request_is_the_same_with_the_fast_paths() -> None:
    long = quote("😀" * 5_000, safe="")
    params = {"a": "%41 é", "b": "<script>" * 3}
    url = f"http://127.0.0.1:1/x/{long}/%7e"
    plain = requests.Request("GET", url, params=params).prepare()
    with fast_url_encoding():
        fast = requests.Request("GET", url, params=params).prepare()
        assert urllib3.util.url._encode_target(fast.path_url) == fast.path_url
    assert fast.url == plain.url
    assert requests.models.requote_uri is requests.utils.requote_uri  # put back
