"""The source policy: which web hosts may carry evidence.

``data/source_hosts.csv`` classifies hosts as *authoritative* (publisher or DOI page, PubMed/PMC/Europe PMC, trial
registries, regulators, Cochrane), *secondary* (bibliographic indexes, repositories, news and press releases,
third-party copies of registry records) or *never* evidence (AI-generated summaries, document-sharing sites, content
farms, unrelated mirrors). A listed host also covers its subdomains (``bmj.com`` covers ``jnnp.bmj.com``); a bare IP
address is never evidence. The policy is data so that a reviewer can see and change it in a pull request; this module
only applies it.

URL lists in the data are separated by white space: a URL cannot contain a raw space, while ``;`` and ``,`` may
legitimately appear inside one (splitting on them broke URLs in dataset 1.0).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

CATEGORIES = ("authoritative", "secondary", "never")


@dataclass(frozen=True)
class Verdict:
    url: str
    host: str | None
    category: str | None  # one of CATEGORIES, or None when the host is not in the policy
    kind: str = ""


def split_urls(value) -> list[str]:
    """The URLs of a ``source_url``/``read_url`` cell (white-space separated); blank gives []."""
    if value is None or not isinstance(value, str):
        return []
    return [u for u in value.split() if u]


class HostPolicy:
    """Host -> category lookup with subdomain inheritance (the longest listed suffix wins)."""

    def __init__(self, rows: list[tuple[str, str, str]]):
        self._hosts = {host.strip().lower().rstrip("."): (category, kind) for host, category, kind in rows}

    @classmethod
    def from_frame(cls, frame) -> HostPolicy:
        return cls([(str(r["host"]), str(r["category"]), str(r["kind"])) for _, r in frame.iterrows()])

    def classify(self, url: str) -> Verdict:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
        except ValueError:
            return Verdict(url, None, None)
        if parts.scheme not in ("http", "https") or not host:
            return Verdict(url, None, None)
        try:
            ipaddress.ip_address(host)
            return Verdict(url, host, "never", "ip_address")
        except ValueError:
            pass
        labels = host.split(".")
        for i in range(len(labels) - 1):
            hit = self._hosts.get(".".join(labels[i:]))
            if hit:
                return Verdict(url, host, hit[0], hit[1])
        return Verdict(url, host, None)
