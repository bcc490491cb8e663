"""The benchmark must not rot: `bench/run --quick --json-only` runs and produces its JSON.

No assertion here is about speed (STYLE.md §5, "Benchmarks are not tests"): only that every
figure the issue asks for is present, measured (a positive number) or explicitly n/a.

    python3 -m pytest bench/test_bench.py
"""

import json
import os
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MEASURED = [
    "setup.fork_exec", "setup.unshare", "setup.bwrap", "setup.crun_cgroupfs", "setup.crun_nocgroup",
    "setup.fnbox", "setup.fnbox_nocgroup", "setup.fnbox_cli",
    "cold.python", "cold.bwrap_python", "cold.fnbox_run",
    "warm.loop",
    "churn.fnbox_c1", "churn.bwrap_c1", "churn.fnbox_c16", "churn.bwrap_c16",
    "mem.python", "mem.fnbox", "mem.fnbox_launcher",
]
# Driven through a real fnboxd on a temporary socket (bench/run starts and stops it).
DAEMON = [
    "cold.daemon", "cold.daemon_init",
    "warm.client_floor_c1", "warm.client_floor_c16", "warm.pyclient_floor_c1", "warm.pyclient_floor_c16",
    "warm.latency_c1", "warm.overhead_c1",
    "warm.throughput_c1", "warm.throughput_c2", "warm.throughput_c16", "warm.throughput_c64",
    "warm.cpu_c1", "warm.cpu_c16",
    "fanout.ideal", "fanout.sequential", "fanout.parallel_cold", "fanout.speedup_cold",
    "fanout.parallel", "fanout.speedup",
]


def newest_fnbox():
    """The most recently built fnbox (CI builds debug only; a stale release build must not be
    what gets tested); None lets bench/run pick or build one."""
    built = [p for p in (os.path.join(REPO, ".build", c, "fnbox") for c in ("release", "debug")) if os.path.exists(p)]
    return max(built, key=os.path.getmtime) if built else None


@pytest.fixture(scope="module")
def results():
    if os.geteuid() != 0:
        pytest.skip("bench/run needs root")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "results.json")
        argv = [os.path.join(REPO, "bench", "run"), "--quick", "--json-only", "--out", out]
        if newest_fnbox():
            argv += ["--fnbox", newest_fnbox()]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        printed = json.loads(proc.stdout)
        with open(out) as f:
            written = json.load(f)
    assert printed == written
    return written


def test_machine_is_recorded(results):
    assert results["mode"] == "quick"
    for key in ("date", "nproc", "kernel", "cpu"):
        assert results["machine"][key]


@pytest.mark.parametrize("id", MEASURED)
def test_figure_is_measured(results, id):
    r = results["results"][id]
    figure = r.get("value", r.get("p50"))
    assert isinstance(figure, (int, float)) and figure > 0, r
    if "p50" in r:
        assert r["p99"] >= r["p50"] > 0 and r["n"] > 0


@pytest.mark.parametrize("id", ["setup.fnbox", "setup.fnbox_nocgroup", "cold.fnbox_run", "mem.fnbox",
                                "churn.fnbox_c1", "churn.fnbox_c16"])
def test_fnbox_has_a_ratio_to_its_baseline(results, id):
    r = results["results"][id]
    assert r["baseline"] in results["results"]
    assert r["ratio"] > 0


@pytest.mark.parametrize("id", DAEMON)
def test_daemon_figure_is_measured(results, id):
    r = results["results"][id]
    figure = r.get("value", r.get("p50"))
    assert isinstance(figure, (int, float)), r
    if id != "warm.overhead_c1":  # latency minus a floor: a number, whatever its sign
        assert figure > 0, r
    if "p50" in r and id != "warm.overhead_c1":
        assert r["p99"] >= r["p50"] > 0 and r["n"] > 0


def test_warm_latency_has_its_overhead_and_target(results):
    r = results["results"]
    latency, overhead, floor = r["warm.latency_c1"], r["warm.overhead_c1"], r["warm.loop"]
    assert overhead["p50"] == pytest.approx(latency["p50"] - floor["value"])
    assert overhead["target"] and r["warm.throughput_c16"]["target"] and r["fanout.speedup"]["target"]


def test_warm_runs_record_load_and_cpu(results):
    for c in (1, 2, 16, 64):
        for run in results["results"][f"warm.throughput_c{c}"]["runs"]:
            assert run["concurrency"] == c and run["requests"] > 0 and run["errors"] == 0
            assert run["loadavg"] >= 0
            assert set(run["cpu_us_per_call"]) == {"fnboxd", "instances", "client"}


def test_quick_fanout_is_smaller_and_says_so(results):
    r = results["results"]
    assert r["fanout.ideal"]["value"] < 100
    assert "quick" in r["fanout.speedup"]["section"]


def test_daemon_stopped_clean(results):
    # SIGTERM: exit 0, socket removed, no cgroup leaf or process of its instances left.
    d = results["daemon"]
    assert d["exit"] == 0 and not d["socket_left"] and d["cgroups_left"] == [] and d["processes_left"] == []
    assert d["clean"] is True
    for key in ("loadavg_start", "loadavg_end"):
        assert len(results["machine"][key]) == 3
