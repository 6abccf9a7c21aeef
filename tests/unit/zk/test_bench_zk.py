"""`zkredit bench zk` runs end to end and reports the documented JSON shape.

Timings are not asserted here (benchmarks, not timed tests); only that both tools
were measured in one run and the report is complete and consistent.
"""

from __future__ import annotations

import pytest

from zkredit.zk.toolchain import NodeTools


@pytest.mark.slow
@pytest.mark.node
def test_bench_zk_report_shape(node_tools: NodeTools) -> None:
    from zkredit.bench.zk import run_zk_bench

    report = run_zk_bench(iterations=1, workers=2)
    names = [c["name"] for c in report["circuits"]]
    assert names == ["collateral", "credit_history", "identity", "income"]
    for c in report["circuits"]:
        for tool in ("groth16py", "snarkjs"):
            assert c[tool]["prove_p50_s"] > 0 and c[tool]["verify_p50_s"] > 0
        assert c["prove_ratio"] == c["groth16py"]["prove_p50_s"] / c["snarkjs"]["prove_p50_s"]
        assert c["constraints"] > 0
    assert report["bundle_wall_s"] > 0
