"""Defects found by the session-54 probes, each with the case that showed it."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commonprosperity import Population, Scenario, synthetic_population
from commonprosperity.errors import PopulationError
from commonprosperity.survey import read_parquet, read_stata


def _frames():
    households = pd.DataFrame(
        {
            "household_id": [1, 2],
            "weight": [10.0, 5.0],
            "urban": [1, 0],
            "city": ["杭州", "丽水"],
        }
    )
    persons = pd.DataFrame(
        {
            "household_id": [1, 2],
            "age": [40, 70],
            "employed": [1, 0],
            "wage": [90_000.0, 0.0],
            "business": [0.0, 0.0],
            "property": [0.0, 0.0],
            "pension": [0.0, 12_000.0],
        }
    )
    return households, persons


def _old_stata(tmp_path, encoding, *, labelled_urban=False):
    """Format-117 files whose text is in ``encoding``, as R's haven and ReadStat
    write UTF-8 into that format (pandas writes latin-1: the bytes are passed
    through as the latin-1 characters of the encoding)."""

    def raw(text):
        return text.encode(encoding).decode("latin-1")

    households, persons = _frames()
    households["city"] = households["city"].map(raw)
    labels = {}
    if labelled_urban:
        households["urban"] = [1, 2]
        labels = {"urban": {1: raw("城镇"), 2: raw("农村")}}
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.to_stata(h, write_index=False, version=117, value_labels=labels)
    persons.to_stata(p, write_index=False, version=117)
    return h, p


def test_old_stata_utf8_text_is_advised_utf8_not_gb18030(tmp_path):
    """The advice was always encoding='gb18030'; a UTF-8 file so read gave
    '鏉\\ue15e窞' for 杭州 and a plain "city must be one of the 11" with no word
    of the encoding."""
    h, p = _old_stata(tmp_path, "utf-8")
    with pytest.raises(PopulationError, match="give encoding='utf-8'") as info:
        read_stata(h, p)
    assert "gb18030" not in str(info.value)
    with pytest.raises(PopulationError) as info:
        read_stata(h, p, encoding="gb18030")
    message = str(info.value)
    assert "decoded with encoding='gb18030'" in message
    assert "give encoding='utf-8'" in message
    assert str(h) in message
    assert read_stata(h, p, encoding="utf-8").city.tolist() == ["杭州", "丽水"]


def test_old_stata_labels_in_the_wrong_encoding_say_which_reads_them(tmp_path):
    h, p = _old_stata(tmp_path, "utf-8", labelled_urban=True)
    recode = {"urban": {"城镇": True, "农村": False}}
    with pytest.raises(PopulationError, match="give encoding='utf-8'"):
        read_stata(h, p, recode=recode, encoding="gb18030")
    assert read_stata(h, p, recode=recode, encoding="utf-8").urban.tolist() == [
        True,
        False,
    ]


def test_old_stata_gb18030_text_read_as_utf8_is_advised_gb18030(tmp_path):
    h, p = _old_stata(tmp_path, "gb18030")
    with pytest.raises(PopulationError, match="encoding='gb18030'"):
        read_stata(h, p)
    with pytest.raises(PopulationError) as info:
        read_stata(h, p, encoding="utf-8")
    message = str(info.value)
    assert "not valid utf-8" in message
    assert "give encoding='gb18030'" in message
    assert read_stata(h, p, encoding="gb18030").city.tolist() == ["杭州", "丽水"]


def test_an_encoding_that_reads_the_text_alike_gets_no_advice(tmp_path):
    """GBK reads GB18030 Chinese text as GB18030 does: a city outside Zhejiang
    is then a wrong city, not a wrong encoding."""
    h, p = _old_stata(tmp_path, "gb18030")
    assert read_stata(h, p, encoding="gbk").city.tolist() == ["杭州", "丽水"]
    households = _frames()[0]
    households["city"] = [c.encode("gbk").decode("latin-1") for c in ("上海", "杭州")]
    households.to_stata(h, write_index=False, version=117)
    with pytest.raises(PopulationError, match="got '上海'") as info:
        read_stata(h, p, encoding="gbk")
    assert "give encoding" not in str(info.value)


@pytest.mark.parametrize("binary", [pa.binary(), pa.large_binary()])
def test_parquet_text_stored_as_bytes_is_read_as_utf8(tmp_path, binary):
    """Hive and Impala write text as BINARY without the UTF8 mark: the city
    was refused as b'\\xe6\\x9d\\xad\\xe5\\xb7\\x9e', hiding that it says 杭州."""
    households, persons = _frames()
    flat = persons.merge(households, on="household_id")
    table = pa.Table.from_pandas(flat, preserve_index=False)
    at = table.schema.get_field_index("city")
    table = table.set_column(at, "city", table["city"].cast(binary))
    pq.write_table(table, tmp_path / "bytes.parquet")
    pop = read_parquet(tmp_path / "bytes.parquet")
    assert pop.city.tolist() == ["杭州", "丽水"]
    # Bytes that are not UTF-8 text stay bytes, quoted as such.
    table = table.set_column(
        at, "city", pa.array([b"\xba\xbc\xd6\xdd", b"\xc0\xf6"], type=binary)
    )
    pq.write_table(table, tmp_path / "gbk.parquet")
    with pytest.raises(PopulationError, match=r"city must be one.*got b'\\xba"):
        read_parquet(tmp_path / "gbk.parquet")


class DataFrame:
    """A frame of another library (polars, DuckDB) with a way to pandas."""

    def to_pandas(self):
        return _frames()[0]


def test_a_foreign_frame_is_named_with_its_module_and_the_conversion():
    """It read "must be a pandas DataFrame; got DataFrame"."""
    households, persons = _frames()
    with pytest.raises(PopulationError) as info:
        Population.from_frames(DataFrame(), persons)
    message = str(info.value)
    assert f"got {__name__}.DataFrame; convert it with .to_pandas()" in message
    with pytest.raises(PopulationError, match=r"got list$"):
        Population.from_frames(households, [])


@pytest.mark.parametrize("name", ["plots", "report", "tables", "survey", "published"])
def test_public_submodules_complete_to_their_public_names(name):
    """dir() of plots offered 44 names for its 11 public ones (np, quoted,
    replace_atomically ...), as the package's own dir() no longer does."""
    import commonprosperity as cp

    module = getattr(cp, name)
    shown = [n for n in dir(module) if not n.startswith("__")]
    assert shown == sorted(module.__all__)
    assert name in cp.__all__


def test_published_figures_are_public():
    """The README and examples use cp.published; it reached cp only because
    other modules happened to import it."""
    import subprocess
    import sys

    code = (
        "from commonprosperity import *; "
        "print(published.minimum_wage_tier('杭州', True), 'published' in dir())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["1", "True"], out.stderr


def test_the_library_imports_and_runs_where_numba_cannot_cache(tmp_path):
    """A read-only install with no writable NUMBA_CACHE_DIR or user cache: every
    cache=True kernel raised "no locator available" as it was defined, and
    `import commonprosperity` failed with Numba's traceback. (Numba's locators
    are limited here to NUMBA_CACHE_DIR's, which is unset.)"""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["NUMBA_CACHE_LOCATOR_CLASSES"] = "UserProvidedCacheLocator"
    env["TMPDIR"] = str(tmp_path)
    code = (
        "import commonprosperity as cp, numba; "
        "print(numba.config.CACHE_DIR); "
        "print(cp.metrics.gini([1.0, 2.0, 3.0], [1.0, 1.0, 2.0]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    directory, gini = out.stdout.split()
    assert directory.startswith(str(tmp_path))
    # By the definition: mean 2.25; sum of w_i w_j |x_i - x_j| over ordered
    # pairs = 2 (1·1·1 + 1·2·2 + 1·2·1) = 14; G = 14 / (2 · 4² · 2.25) = 7/36.
    assert float(gini) == pytest.approx(7 / 36, rel=1e-12)
    assert "set NUMBA_CACHE_DIR to a writable directory" in out.stderr
    assert not os.path.exists(directory)  # removed at exit


def test_a_sweep_files_population_in_a_loop_of_links_is_an_error(tmp_path):
    """resolve() raised a bare RuntimeError: a traceback from `sweep`."""
    from commonprosperity._sweepfile import read_sweep_file
    from commonprosperity.errors import ScenarioError

    (tmp_path / "loop.parquet").symlink_to(tmp_path / "loop.parquet")
    spec = tmp_path / "sweep.toml"
    spec.write_text(
        'year = 2024\n[population]\nfile = "loop.parquet"\n'
        '[grid]\n"transfers.dibao_monthly" = [1128, 1400]\n'
    )
    with pytest.raises(ScenarioError, match=r"population.file 'loop.parquet'"):
        read_sweep_file(spec)


def test_names_the_system_cannot_encode_are_named_as_such(tmp_path):
    """Under a non-UTF-8 locale an existing Chinese file was "no such Parquet
    file", an existing folder "does not exist", and write_run failed with a
    bare UnicodeEncodeError naming no path."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "中文目录"
    folder.mkdir()
    # ASCII source: the command line itself is decoded in the locale's encoding.
    code = r"""
import commonprosperity as cp
from commonprosperity import plots, report
folder = "\u4e2d\u6587\u76ee\u5f55"
pop = cp.synthetic_population(200, seed=1)
result = cp.simulate(pop, cp.Scenario.status_quo(2024))
calls = [
    lambda: pop.write_parquet(folder + "/pop.parquet"),
    lambda: cp.Population.read_parquet(folder + "/pop.parquet"),
    lambda: report.write_run(result, folder + "/out", heading="run"),
    lambda: plots.save(plots.city_bars(result), folder + "/figure"),
    lambda: cp.Scenario.status_quo(2024).to_toml(folder + "/scenario.toml"),
]
for call in calls:
    try:
        call()
        print("written")
    except cp.CommonProsperityError as exc:
        print(ascii(str(exc)))
"""
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "MPLBACKEND": "Agg"}
    env.pop("LANG", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        encoding="utf-8",
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 5
    for line in lines:
        assert "cannot be a file name in this system's encoding" in line, line
        assert "\\u4e2d\\u6587\\u76ee\\u5f55" in line  # the path, escaped
    assert not any(folder.iterdir())


# ------------------------------------------------ the session's global state
def _python(code, tmp_path, **env):
    """Run ``code`` in a fresh interpreter in ``tmp_path``; its stdout, stderr."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg", **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def test_the_program_run_inside_a_session_leaves_its_ctrl_c(tmp_path):
    """`%run -m commonprosperity` or runpy runs the program in the notebook's
    process: Ctrl-C was ignored for the rest of the session. It is ignored
    only once the interpreter shuts down."""
    out, _ = _python(
        "import atexit, runpy, signal, sys\n"
        "atexit.register(lambda: print('exit', signal.getsignal(signal.SIGINT)"
        " is signal.SIG_IGN))\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "sys.argv = ['commonprosperity', '--version']\n"
        "try:\n"
        "    runpy.run_module('commonprosperity', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('after', signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n",
        tmp_path,
    )
    assert out.split()[-4:] == ["after", "False", "exit", "True"]


_OTHER_THREAD = """
import threading, time, warnings
import commonprosperity as cp
from commonprosperity.cli import main
cp.synthetic_population(400, seed=1).write_parquet("p.parquet")
command = ["run", "--population", "p.parquet", "--out", "out"]
"""


def test_the_command_in_process_reports_its_own_thread_s_warnings_only(tmp_path):
    """Another thread's warning during main() was printed as the command's and
    listed in its report.md."""
    code = _OTHER_THREAD + (
        "stop = threading.Event()\n"
        "def other():\n"
        "    while not stop.is_set():\n"
        "        warnings.warn('OTHER-THREAD warning')\n"
        "        time.sleep(0.005)\n"
        "warnings.simplefilter('always')\n"
        "thread = threading.Thread(target=other)\n"
        "thread.start()\n"
        "main(command)\n"
        "stop.set()\n"
        "thread.join()\n"
    )
    _, err = _python(code, tmp_path)
    assert "OTHER-THREAD warning" in err  # shown as Python shows it
    assert "warning: OTHER-THREAD" not in err
    assert "OTHER-THREAD" not in (tmp_path / "out" / "report.md").read_text("utf-8")


@pytest.mark.parametrize("hook", ["show_warning", "show"])
def test_a_warning_hook_left_behind_passes_the_user_s_warnings_on(tmp_path, hook):
    """A catch_warnings block of another thread, begun inside the command's
    (or write_run's) and ended after it, restored the library's hook: the
    user's later warnings were printed as the command's, or judged by the
    filters of the time (one the user now wants to see was hidden)."""
    run = (
        "main([*command, '--figures', 'none'])"
        if hook == "show_warning"
        else "from commonprosperity import report\n"
        "result = cp.simulate(cp.Population.read_parquet('p.parquet'),"
        " cp.Scenario.status_quo(2024))\n"
        "report.write_run(result, 'out', heading='h', formats=())"
    )
    code = _OTHER_THREAD + (
        "warnings.filterwarnings('ignore', message='noisy')\n"
        "done = threading.Event()\n"
        "def other():\n"
        f"    while getattr(warnings.showwarning, '__name__', '') != {hook!r}:\n"
        "        time.sleep(0.0005)\n"
        "    with warnings.catch_warnings():\n"
        "        done.wait()\n"
        "thread = threading.Thread(target=other)\n"
        "thread.start()\n"
        f"{run}\n"
        "done.set()\n"
        "thread.join()\n"
        "assert warnings.showwarning.__name__ == " + repr(hook) + "\n"
        "warnings.resetwarnings()\n"
        "warnings.simplefilter('always')\n"
        "warnings.warn('noisy: now wanted')\n"
    )
    _, err = _python(code, tmp_path)
    assert "UserWarning: noisy: now wanted" in err
    assert "warning: noisy" not in err


def test_plots_drawn_in_threads_leave_the_user_s_rcparams(tmp_path):
    """rc_context blocks of plots in two threads restored each other's
    rcParams: the library's fonts and sizes stayed in the user's."""
    out, _ = _python(
        "import threading\n"
        "import matplotlib as mpl\n"
        "import commonprosperity as cp\n"
        "from commonprosperity import plots\n"
        "result = cp.simulate(cp.synthetic_population(300, seed=1),"
        " cp.Scenario.status_quo(2024))\n"
        "before = {k: repr(v) for k, v in mpl.rcParams.items()}\n"
        "def draw():\n"
        "    for _ in range(6):\n"
        "        plots.city_bars(result)\n"
        "threads = [threading.Thread(target=draw) for _ in range(3)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print([k for k, v in mpl.rcParams.items() if repr(v) != before[k]])\n",
        tmp_path,
    )
    assert out.strip() == "[]"


def test_the_command_in_process_leaves_stdout_s_error_handling(tmp_path):
    out, _ = _python(
        "import sys\n"
        "from commonprosperity.cli import main\n"
        "before = sys.stdout.errors\n"
        "main(['--version'])\n"
        "print(before, sys.stdout.errors)\n",
        tmp_path,
        PYTHONIOENCODING="ascii",
    )
    assert out.split()[-2:] == ["strict", "strict"]


# ------------------------------------------------------------------ aliasing
def test_an_unpickled_calibration_owns_its_margins():
    """Unpickled out of band (protocol 5, as Dask and Ray move objects), the
    margins were views of the transport's buffers: zeroing those zeroed the
    report, which then contradicted the weights."""
    import pickle

    from commonprosperity import calibrate

    pop = synthetic_population(500, seed=1)
    urban = {True: float(pop.weight[pop.urban].sum()) * 1.1}
    urban[False] = float(pop.weight[~pop.urban].sum())
    result = calibrate(pop, {"households": {"urban": urban}})
    buffers = []
    data = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    raw = [bytearray(b.raw()) for b in buffers]
    copy = pickle.loads(data, buffers=raw)
    for b in raw:
        b[:] = bytes(len(b))
    assert copy.margins.equals(result.margins)
    assert copy.margins["target"].tolist() == [urban[True], urban[False]]


def test_a_subset_s_arrays_cannot_be_made_writeable():
    """A subset's arrays were slices of writeable arrays: a plain
    `flags.writeable = True` reopened them (sealed's promise)."""
    from commonprosperity.population import subsets

    pop = synthetic_population(300, seed=1)
    for sub in subsets(pop, [np.arange(0, 100), np.arange(100, 300)]):
        for name in ("weight", "household_id", "offsets", "age", "wage"):
            with pytest.raises(ValueError, match="cannot set WRITEABLE"):
                getattr(sub, name).view().flags.writeable = True


# -------------------------------------------------------- CFPS-style surveys
def _family_frames():
    households = pd.DataFrame(
        {"household_id": [1, 2], "weight": [1e4, 1e4], "urban": [True, False]}
    )
    persons = pd.DataFrame(
        {
            "household_id": [1, 1, 2],
            "age": [40, 38, 50],
            "employed": [True, False, True],
            "wage": [6e4, 0.0, 5e4],
            "business": [0.0, 0.0, 0.0],
            "property": [0.0, 0.0, 0.0],
            "pension": [0.0, 0.0, 0.0],
        }
    )
    return households, persons


def test_a_family_income_in_the_households_frame_is_refused():
    """CFPS gives business income per family: mapped onto the households frame
    it was not read, without a word (250,000 + 80,000 yuan lost)."""
    households, persons = _family_frames()
    given = households.assign(foperate=[250_000.0, 80_000.0])
    with pytest.raises(
        PopulationError, match=r"column 'foperate' \(mapped to business\) is neither"
    ):
        Population.from_frames(given, persons, columns={"foperate": "business"})
    with pytest.raises(PopulationError, match=r"'business' is neither the sum"):
        Population.from_frames(
            households.assign(business=[250_000.0, 80_000.0]), persons
        )
    with pytest.raises(PopulationError, match=r"a person column the persons lack"):
        Population.from_frames(
            households.assign(business=[250_000.0, 80_000.0]),
            persons.drop(columns="business"),
        )
    # Sums of the persons' amounts, or one person's (a flat table's first
    # person's), agree with the persons, and are not refused.
    on_head = persons.assign(business=[250_000.0, 1_000.0, 80_000.0])
    for amounts in ([251_000.0, 80_000.0], [1_000.0, 80_000.0]):
        pop = Population.from_frames(households.assign(business=amounts), on_head)
        assert pop.business.tolist() == [250_000.0, 1_000.0, 80_000.0]
    renamed = households.assign(inc=[251_000.0, 80_000.0])
    theirs = on_head.rename(columns={"business": "inc"})
    pop = Population.from_frames(renamed, theirs, columns={"inc": "business"})
    assert pop.business.tolist() == [250_000.0, 1_000.0, 80_000.0]


def test_a_flat_table_cut_into_households_is_read():
    hh, persons = synthetic_population(300, seed=1).to_frames()
    flat = persons.merge(hh, on="household_id")
    pop = Population.from_frames(flat.drop_duplicates("household_id"), flat)
    assert pop.n_persons == len(flat)


def test_read_stata_refuses_a_household_file_variable_mapped_to_a_person_income(
    tmp_path,
):
    households, persons = _family_frames()
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    persons.astype({"employed": int}).to_stata(p, write_index=False, version=118)
    for name, key in (("foperate", "households.foperate"), ("foperate", "foperate")):
        households.astype({"urban": int}).assign(
            **{name: [250_000.0, 80_000.0]}
        ).to_stata(h, write_index=False, version=118)
        with pytest.raises(
            PopulationError, match=r"variable 'foperate' \(mapped to business\) is"
        ):
            read_stata(h, p, columns={key: "business"})
    # Its own variable named business, not mapped, was not read either.
    households.astype({"urban": int}).assign(business=[250_000.0, 80_000.0]).to_stata(
        h, write_index=False, version=118
    )
    with pytest.raises(PopulationError, match=r"variable 'business' is neither"):
        read_stata(h, p)


def _cfps_like(n=400, seed=3):
    """Households of two adults and a child, with pensions and business."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n), 3)
    households = pd.DataFrame(
        {"household_id": np.arange(n), "weight": 1e4, "urban": np.arange(n) % 2 == 0}
    )
    persons = pd.DataFrame(
        {
            "household_id": ids,
            "age": np.tile([66, 64, 10], n),
            "employed": False,
            "wage": 0.0,
            "business": 0.0,
            "property": 0.0,
            "pension": np.tile([1.0, 1.0, 0.0], n) * rng.uniform(30e3, 60e3, 3 * n),
        }
    )
    return households, persons


def _implausible(households, persons):
    import warnings

    from commonprosperity import ImplausibleDataWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Population.from_frames(households, persons, year=2021)
    return [
        str(w.message) for w in caught if issubclass(w.category, ImplausibleDataWarning)
    ]


def test_monthly_pensions_copied_family_amounts_and_business_codes_are_warned_of():
    """A monthly pension in the yearly column, a family's business income copied
    onto every member, and CFPS's -8 不适用 in business read as a loss: each went
    through without a word."""
    households, persons = _cfps_like()
    assert _implausible(households, persons) == []
    monthly = persons.assign(pension=persons["pension"] / 12)
    (said,) = _implausible(households, monthly)
    assert "median pension of the 400 urban persons aged 60 or over" in said
    family = np.repeat(np.linspace(10e3, 90e3, len(households)), 3)
    (said,) = _implausible(households, persons.assign(business=family))
    assert "in 400 of the 400 households with children and business income" in said
    on_one = np.where(np.arange(len(persons)) % 3 == 0, family, 0.0)
    assert _implausible(households, persons.assign(business=on_one)) == []
    coded = np.zeros(len(persons))
    coded[[0, 3, 7]] = [-8.0, -8.0, -1.0]
    (said,) = _implausible(households, persons.assign(business=coded))
    assert "3 persons have business income of exactly -8 (2), -1 (1) yuan" in said
    coded[7] = -1.5  # a loss, not a code
    assert _implausible(households, persons.assign(business=coded)) == []


def test_a_stata_label_saying_monthly_is_warned_of(tmp_path):
    from commonprosperity import ImplausibleDataWarning

    households, persons = _family_frames()
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.astype({"urban": int}).to_stata(h, write_index=False, version=118)
    persons.astype({"employed": int}).rename(columns={"pension": "qi1002"}).to_stata(
        p,
        write_index=False,
        version=118,
        variable_labels={"qi1002": "每月领取的养老金（元/月）"},
    )
    with pytest.warns(ImplausibleDataWarning, match=r"'qi1002' \(pension\) is labe"):
        read_stata(h, p, columns={"qi1002": "pension"})


def test_an_old_stata_label_saying_monthly_is_warned_of(tmp_path):
    """A format-117 file stores its labels' bytes (GB18030 here), which pandas
    reads as latin-1: the 月 of "元/月" was never seen."""
    from commonprosperity import ImplausibleDataWarning

    households, persons = _family_frames()
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.astype({"urban": int}).to_stata(h, write_index=False, version=117)
    label = "离退休金（元/月）".encode("gb18030").decode("latin-1")
    persons.astype({"employed": int}).rename(columns={"pension": "qi1002"}).to_stata(
        p, write_index=False, version=117, variable_labels={"qi1002": label}
    )
    for encoding in (None, "gb18030"):
        with pytest.warns(ImplausibleDataWarning, match=r"labelled '离退休金（元/月"):
            read_stata(h, p, columns={"qi1002": "pension"}, encoding=encoding)


def test_a_recode_naming_labels_of_an_unlabelled_column_is_refused(tmp_path):
    """{"business": {"不适用": 0}} on codes without labels was never applied:
    -8 passed as a loss of 8 yuan."""
    households, persons = _family_frames()
    persons["business"] = [-8.0, 0.0, 0.0]
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.astype({"urban": int}).to_stata(h, write_index=False, version=118)
    persons.astype({"employed": int}).to_stata(p, write_index=False, version=118)
    with pytest.raises(PopulationError, match=r"recode names label\(s\) \['不适用'\]"):
        read_stata(h, p, recode={"business": {"不适用": 0.0}})
    assert read_stata(h, p, recode={"business": {-8: 0.0}}).business.tolist() == [
        0.0,
        0.0,
        0.0,
    ]


# ------------------------------------------------------------ sweep brackets
@pytest.mark.parametrize(
    "grid",
    [
        {"wages.growth_rate": [0.0, 0.01]},
        {"transfers.dibao_monthly": [835.0, 1000.0]},
    ],
)
def test_a_sweep_s_bracket_is_simulate_s_up_to_rounding(grid):
    """A sweep bins its parts of the rows on one thread each, summed deeper
    than simulate's parallel groups: its bounds lay 3.8e-11 outside
    simulate's at 150,000 households (3.3e-10 at 1e6). Both now allow for the
    same depth, a function of the rows' number."""
    from commonprosperity import simulate
    from commonprosperity.sweep import sweep

    pop = synthetic_population(150_000, seed=7)
    base = Scenario.status_quo(2021)
    frame = sweep(pop, base, grid, gini="bracket", progress=False)
    ((lever, values),) = grid.items()
    for i, value in enumerate(values):
        alone = simulate(pop, base.replace({lever: value}), gini="bracket").indicators
        for bound in ("gini_lower", "gini_upper"):
            assert frame[bound].iloc[i] == pytest.approx(alone[bound], rel=1e-14)


def test_a_family_income_that_is_no_number_is_refused_too():
    """Labelled codes read as categories (pandas.read_stata's default) or text
    such as "50,000" in the households frame were dropped without a word."""
    households, persons = _family_frames()
    for values in (
        pd.Categorical(["不适用", "30000"]),
        ["50,000", "."],
    ):
        with pytest.raises(PopulationError, match=r"values that are not numbers"):
            Population.from_frames(households.assign(business=values), persons)


@pytest.mark.parametrize(
    "label",
    [
        "2018年1月至12月工资收入（元）",
        "annual wage, months 1-12 (yuan)",
        "工资（元/年）",
    ],
)
def test_an_annual_stata_label_is_not_called_monthly(tmp_path, label):
    import warnings

    households, persons = _family_frames()
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.astype({"urban": int}).to_stata(h, write_index=False, version=118)
    persons.astype({"employed": int}).to_stata(
        p, write_index=False, version=118, variable_labels={"wage": label}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_stata(h, p)


def test_a_household_file_mapping_is_named_when_the_person_file_lacks_it(tmp_path):
    households, persons = _family_frames()
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.astype({"urban": int}).assign(foperate=[250_000.0, 80_000.0]).to_stata(
        h, write_index=False, version=118
    )
    persons.drop(columns="business").astype({"employed": int}).to_stata(
        p, write_index=False, version=118
    )
    with pytest.raises(PopulationError) as info:
        read_stata(h, p, columns={"households.foperate": "business"})
    message = str(info.value)
    assert "missing column(s) ['business']" in message
    assert "variable 'foperate' (mapped to business) would not be read" in message


# ------------------------------------------------------- Windows-made files
def _sweep_file(tmp_path, text):
    from commonprosperity._sweepfile import read_sweep_file
    from commonprosperity.errors import ScenarioError

    path = tmp_path / "sweep.toml"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(ScenarioError) as info:
        read_sweep_file(path)
    return str(info.value)


def test_windows_paths_in_a_sweep_file_are_named_as_such(tmp_path):
    """'\\n' of "scenarios\\new.toml" is a new line in a double-quoted TOML
    string: the error said "got TOML text, not a path"; a backslash separator
    was "no such file" with no word of it."""
    grid = '\n[grid]\n"transfers.dibao_monthly" = [1128, 1400]\n'
    said = _sweep_file(tmp_path, 'base = "scenarios\\new.toml"' + grid)
    assert "holds the control character '\\n'" in said
    assert "TOML text" not in said
    said = _sweep_file(
        tmp_path, 'year = 2024\n[population]\nfile = "data\\tpop.parquet"' + grid
    )
    assert "holds the control character '\\t'" in said
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pop.parquet").write_bytes(b"")
    said = _sweep_file(
        tmp_path, "year = 2024\n[population]\nfile = 'data\\pop.parquet'" + grid
    )
    assert "a backslash does not separate folders" in said


def test_a_trailing_ctrl_z_is_named(tmp_path):
    from commonprosperity.errors import ScenarioError

    path = tmp_path / "s.toml"
    path.write_bytes(b"year = 2025\r\n\x1a")
    with pytest.raises(ScenarioError, match=r"Ctrl-Z \(0x1A\) end-of-file mark"):
        Scenario.from_toml(path)


def test_csv_slips_of_excel_and_encodings_get_a_hint():
    hh, persons = synthetic_population(60, seed=1).to_frames()
    with pytest.raises(PopulationError, match=r"byte-order mark.*utf-8-sig"):
        Population.from_frames(
            hh.rename(columns={"household_id": "\ufeffhousehold_id"}), persons
        )
    garbled = ["杭州".encode("gbk").decode("latin-1"), "丽水".encode().decode("gbk")]
    cities = [garbled[i % 2] for i in range(len(hh))]
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh.assign(city=cities), persons)
    message = str(info.value)
    assert (
        "(杭州 read in the wrong encoding: read the file with encoding='gbk')"
        in message
    )
    assert (
        "(丽水 read in the wrong encoding: read the file with encoding='utf-8')"
        in message
    )
    text = persons.assign(wage=persons["wage"].map(lambda v: f"{v:,.2f}"))
    with pytest.raises(PopulationError, match=r"thousands separators \(e.g. '\d+,"):
        Population.from_frames(hh, text)


# ------------------------------------------------------ review of the above
def test_the_family_check_leaves_id_problems_to_the_id_checks():
    households, persons = _family_frames()
    flat_wage = households.assign(wage=[6e4, 5e4])
    with pytest.raises(PopulationError) as info:
        Population.from_frames(flat_wage.assign(household_id=["1", "2"]), persons)
    assert "digits stored as text" in str(info.value)
    assert "neither the sum" not in str(info.value)
    extra = pd.concat(
        [
            flat_wage,
            pd.DataFrame(
                {"household_id": [3], "weight": [1.0], "urban": [True], "wage": [700.0]}
            ),
        ]
    )
    with pytest.raises(PopulationError) as info:
        Population.from_frames(extra, persons)
    assert "every household needs at least one person" in str(info.value)
    assert "neither the sum" not in str(info.value)


def test_household_totals_stored_as_float32_agree_with_their_sums():
    rng = np.random.default_rng(4)
    n = 200
    households = pd.DataFrame(
        {"household_id": np.arange(n), "weight": 1.0, "urban": True}
    )
    business = rng.uniform(1e6, 2e7, 2 * n).astype(np.float32)
    persons = pd.DataFrame(
        {
            "household_id": np.repeat(np.arange(n), 2),
            "age": 40,
            "employed": False,
            "wage": 0.0,
            "business": business,
            "property": 0.0,
            "pension": 0.0,
        }
    )
    totals = persons.groupby("household_id")["business"].sum().to_numpy(float)
    Population.from_frames(
        households.assign(business=totals.astype(np.float32)), persons
    )


@pytest.mark.parametrize(
    ("name", "monthly"),
    [
        ("上半年收入（1-6月）", True),
        ("income_semiannual_6months", True),
        ("每月工资（元/月），不含年收入", True),
        ("monthly wage (annual survey)", True),
        ("工资（元/年），按月发放", False),
        ("wage_past_12_months", False),
        ("工资（元/年），每月发放", False),
        ("annual_sum_of_monthly_wages", False),
        ("yearly income, paid monthly", False),
        ("养老金（元／年），按月领取", False),
    ],
)
def test_says_monthly_reads_what_the_words_say(name, monthly):
    from commonprosperity.population import says_monthly

    assert says_monthly(name) is monthly


@pytest.mark.parametrize("encoding", ["latin-1", "gb18030"])
def test_a_byte_order_mark_misread_before_a_column_name_is_named(encoding):
    """Read in the wrong encoding, the mark of an Excel "CSV UTF-8" file runs
    into the first name ('ï»¿city', '锘縞ity'): city was left unread and every
    household fell to the province."""
    hh, persons = synthetic_population(60, seed=1).to_frames()
    misread = "\ufeffcity".encode().decode(encoding)
    with pytest.raises(PopulationError, match=r"begin with a byte-order mark"):
        Population.from_frames(hh.rename(columns={"city": misread}), persons)


def test_a_decimal_comma_gets_no_thousands_advice():
    hh, persons = synthetic_population(20, seed=1).to_frames()
    with pytest.raises(PopulationError) as info:
        Population.from_frames(hh, persons.assign(wage="12,5"))
    assert "thousands separators" not in str(info.value)


def test_windows_paths_given_to_the_python_readers_are_named(tmp_path):
    from commonprosperity.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"control character '\\n'"):
        Scenario.from_toml("scenarios\new.toml")
    with pytest.raises(PopulationError, match=r"a backslash does not separate"):
        Population.read_parquet(str(tmp_path) + "/data\\pop.parquet")
    path = tmp_path / "s.toml"
    path.write_bytes(b"year = 2025\n\x1a \nx = 1\n")
    with pytest.raises(ScenarioError, match=r"Ctrl-Z \(0x1A\).* on line 2"):
        Scenario.from_toml(path)
    path.write_text('year = 2025\nnote = "C:\\Users\\me"\n')
    with pytest.raises(ScenarioError, match=r"a backslash starts an escape"):
        Scenario.from_toml(path)


def test_labelled_codes_in_the_household_file_are_not_amounts(tmp_path):
    households, persons = _family_frames()
    h, p = tmp_path / "h.dta", tmp_path / "p.dta"
    households.astype({"urban": int}).assign(business=[1, 2]).to_stata(
        h, write_index=False, version=118, value_labels={"business": {1: "a", 2: "b"}}
    )
    persons.astype({"employed": int}).to_stata(p, write_index=False, version=118)
    with pytest.raises(PopulationError, match=r"codes carry value labels"):
        read_stata(h, p)
    # Labelled amounts that are the persons' sums are read.
    households.astype({"urban": int}).assign(business=[0, 0]).to_stata(
        h, write_index=False, version=118, value_labels={"business": {0: "无"}}
    )
    assert read_stata(h, p).business.tolist() == [0.0, 0.0, 0.0]


def _one_person_households(n, **persons):
    households = pd.DataFrame(
        {"household_id": np.arange(n), "weight": 1e3, "urban": persons.pop("urban")}
    )
    columns = {"age": 40, "employed": True, "wage": 50e3, "business": 0.0}
    columns |= {"property": 0.0, "pension": 0.0, **persons}
    return households, pd.DataFrame({"household_id": np.arange(n), **columns})


def test_the_slip_signs_hold_their_fire_on_an_income_band():
    """A decile of a study has urban and rural incomes nearly equal, a study of
    the poor has low pensions with a tail of ordinary ones, one of top earners
    has a median wage over a million: each was called a slip."""
    n = 200
    urban = np.arange(n) % 2 == 0
    wage = np.where(urban, 49_500.0, 50_000.0)  # urban 0.99x rural
    assert _implausible(*_one_person_households(n, urban=urban, wage=wage)) == []
    flipped = np.where(urban, 26_000.0, 50_000.0)  # 0.52x: the flag backwards
    (said,) = _implausible(*_one_person_households(n, urban=urban, wage=flipped))
    assert "coded backwards" in said
    pension = np.where(np.arange(n) % 5 == 0, 30_000.0, 8_000.0)  # tail of 20 %
    elders = _one_person_households(
        n, urban=True, age=70, employed=False, wage=0.0, pension=pension
    )
    assert _implausible(*elders) == []
    monthly = _one_person_households(
        n, urban=True, age=70, employed=False, wage=0.0, pension=pension / 12
    )
    assert "are the pensions monthly" in _implausible(*monthly)[0]
    top = np.where(np.arange(n) % 4 == 0, 60_000.0, 1.2e6)  # spouses' wages
    assert _implausible(*_one_person_households(n, urban=True, wage=top)) == []
    fen = _one_person_households(n, urban=True, wage=np.full(n, 6e6))
    assert "in fen" in _implausible(*fen)[0]


def test_toml_text_and_windows_paths_are_told_apart():
    from commonprosperity.errors import ScenarioError

    for text in ("[transfers]\n[income_tax]\n", "# my scenario\n[transfers]\n"):
        with pytest.raises(ScenarioError, match=r"got TOML text, not a path"):
            Scenario.from_toml(text)
    with pytest.raises(ScenarioError, match=r"control character"):
        Scenario.from_toml("runs\\lever=dibao\new.toml")


def test_a_long_backslash_base_in_a_sweep_file_is_an_error_not_a_traceback(tmp_path):
    from commonprosperity._sweepfile import read_sweep_file
    from commonprosperity.errors import ScenarioError

    path = tmp_path / "sweep.toml"
    path.write_text(
        "base = 'a\\" + "x" * 300 + ".toml'\n[grid]\n"
        '"transfers.dibao_monthly" = [1128, 1400]\n'
    )
    with pytest.raises(ScenarioError, match=r"base"):
        read_sweep_file(path)
