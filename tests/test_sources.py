"""The source policy: host classification (fixture hosts) and the real policy's coverage of the data."""

from __future__ import annotations

import pytest

from alsmsc import dataset
from alsmsc.dataset.source_policy import HostPolicy, split_urls

from .conftest import ROOT

POLICY = HostPolicy(
    [
        ("doi.org", "authoritative", "doi"),
        ("bmj.com", "authoritative", "publisher"),
        ("ctv.veeva.com", "secondary", "registry_mirror"),
        ("scribd.com", "never", "document_sharing"),
        ("qa00.mdedge.com", "never", "unrelated_mirror"),
        ("mdedge.com", "secondary", "news"),
    ]
)


@pytest.mark.parametrize(
    "url,category",
    [
        ("https://doi.org/10.1/x", "authoritative"),
        ("https://jnnp.bmj.com/content/1", "authoritative"),  # a subdomain inherits its host's category
        ("https://pt.scribd.com/doc/1", "never"),
        ("https://qa00.mdedge.com/x", "never"),  # the longest listed suffix wins
        ("https://www.mdedge.com/x", "secondary"),
        ("http://47.251.13.51:8081/25298304", "never"),  # a bare IP address is never evidence
        ("https://notdoi.org/x", None),  # a suffix must end at a label boundary
        ("ftp://doi.org/x", None),
        ("not a url", None),
    ],
)
def test_hosts_are_classified(url, category):
    assert POLICY.classify(url).category == category


def test_url_lists_split_on_white_space_only():
    assert split_urls("https://a.org/x;y=1 https://b.org/z\thttps://c.org") == ["https://a.org/x;y=1", "https://b.org/z", "https://c.org"]
    assert split_urls(None) == [] and split_urls("") == []


def test_every_host_in_the_data_is_in_the_policy():
    t = dataset.load(ROOT / "data", ["source_hosts", "clinical_outcomes", "background_facts", "preclinical_studies"])
    policy = HostPolicy.from_frame(t["source_hosts"])
    for name in ("trials", "studies", "clinical_arms", "clinical_outcomes", "background_facts", "preclinical_studies"):
        for col in ("source_url", "read_url"):
            for cell in t[name][col].dropna():
                for url in split_urls(cell):
                    assert policy.classify(url).category in ("authoritative", "secondary"), (name, col, url)
