"""What the benchmarks' tables report of a list of timings."""


def p95(times):
    """The 95th percentile by rank (of fewer than 20 timings, the slowest)."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
