"""alsmsc: data, analyses and build pipeline of the ALS–MSC living review."""

__version__ = "0.1.0"
