"""The ``foureyes`` command. The environment is read here and only here."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from foureyes.errors import FourEyesError

DEFAULT_BIND = "127.0.0.1:8765"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Read on-screen meters from video and live streams into trustworthy readings and events.",
)


def _console() -> Console:
    # NO_COLOR and TERM are honoured by rich itself; FOUREYES_NO_PROGRESS is ours.
    return Console(stderr=True)


def _progress_wanted() -> bool:
    return os.environ.get("FOUREYES_NO_PROGRESS", "") in ("", "0")


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="The YAML config file.")],
    source: Annotated[
        str | None, typer.Option("--source", help="Read this file, folder or URL instead.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default runs/<config>-<time>).")
    ] = None,
    serve: Annotated[
        str | None,
        typer.Option(
            "--serve",
            help="Serve the HTTP API while running, on HOST:PORT (alone: 127.0.0.1:8765).",
        ),
    ] = None,
) -> None:
    """Read the meters of CONFIG from its source until the source ends."""
    from foureyes.config import load_config
    from foureyes.runner import default_out_dir
    from foureyes.runner import run as run_pipeline

    console = _console()
    cfg = load_config(config)
    target = out or default_out_dir(cfg)
    result = run_pipeline(
        cfg,
        out=target,
        source=source,
        console=console,
        show_progress=_progress_wanted(),
        serve=serve,
        api_key=os.environ.get("FOUREYES_API_KEY") or None,
        otlp_endpoint=os.environ.get("FOUREYES_OTLP_ENDPOINT") or None,
    )
    s = result.summary
    events = ", ".join(f"{n} {kind}" for kind, n in s["events"].items()) or "no events"
    console.print(
        f"[green]done[/]: {s['frames_sampled']} samples, {s['reads']} reads, {events} "
        f"→ {escape(str(result.out))}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the video and the run.")] = Path(
        "runs/demo"
    ),
    seconds: Annotated[float, typer.Option("--seconds", min=3, help="Video length.")] = 60.0,
    style: Annotated[str, typer.Option("--style", help="Board style.")] = "classic",
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the board.")] = 0,
) -> None:
    """Render a jackpot board video with known truth, read it, and score the reading."""
    from foureyes.demo import STYLES, generate, score
    from foureyes.runner import run as run_pipeline

    console = _console()
    if style not in STYLES:
        raise FourEyesError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    if out.exists() and any(out.iterdir()):
        raise FourEyesError(f"{out}: already exists; choose another --out or remove it")
    from foureyes.config import load_config

    with _bar(console, "rendering", enabled=_progress_wanted()) as progress:
        video = generate(out / "video", style=style, seconds=seconds, seed=seed, progress=progress)
    console.print(f"rendered {video.frames} frames ({style}) → {video.video}")
    cfg = load_config(video.config)
    result = run_pipeline(cfg, out=out / "run", console=console, show_progress=_progress_wanted())
    sc = score(result.out, video.truth.parent)
    for line in sc.lines():
        console.print(line)
    console.print(f"outputs: {result.out}")


@app.command()
def replay(
    bundle: Annotated[Path, typer.Argument(help="A folder under DIR/failures/.")],
    pytest: Annotated[
        bool, typer.Option("--pytest", help="Write a regression test instead of running it.")
    ] = False,
    to: Annotated[
        Path | None,
        typer.Option("--to", help="The test file to write (default test_replay_<bundle>.py)."),
    ] = None,
) -> None:
    """Re-run the reader or tracker step a run saved when it failed. Exit code 0 when it
    no longer fails, 1 when it still does."""
    from foureyes.failures import load_bundle, write_pytest
    from foureyes.failures import replay as replay_bundle

    console = _console()
    info = load_bundle(bundle)
    if pytest:
        name = bundle.resolve().name.replace("-", "_")
        target = write_pytest(bundle, to or Path(f"test_replay_{name}.py"))
        console.print(f"wrote {escape(str(target))}; run it with pytest", soft_wrap=True)
        return
    console.print(
        f"replaying the {info['stage']} at frame {info['frame']}: {escape(info['message'])}",
        highlight=False,
        soft_wrap=True,
    )
    result = replay_bundle(bundle)
    if result.error is None:
        console.print(f"[green]no longer fails[/]\n{escape(result.output)}", highlight=False)
        return
    console.print(
        f"[red]still fails[/]: {type(result.error).__name__}: {escape(str(result.error))}",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(1)


@app.command()
def stats(
    folder: Annotated[Path, typer.Argument(help="A run's output folder (its --out).")],
    parquet: Annotated[
        Path | None,
        typer.Option("--parquet", help="Also write readings.parquet and events.parquet here."),
    ] = None,
) -> None:
    """Summarise a run, finished or still going, from its store."""
    from rich.table import Table

    from foureyes.observe.stats import export_parquet, load_stats

    console = Console()
    st = load_stats(folder)
    title = f"{escape(st.source)} · {st.status} · {st.samples} samples"
    table = Table(title=title, title_justify="left")
    for column in ("meter", "readings", "ok", "held", "rejected", "unreadable"):
        table.add_column(column, justify="left" if column == "meter" else "right")
    for column in ("first", "last", "low", "high", "events"):
        table.add_column(column, justify="right")

    def money(v: float | None) -> str:
        return "—" if v is None else f"{v:,.2f}"

    for m in st.meters:
        table.add_row(
            m.meter,
            str(m.readings),
            *(str(m.statuses.get(k, 0)) for k in ("ok", "held", "rejected", "unreadable")),
            money(m.first),
            money(m.last),
            money(m.low),
            money(m.high),
            ", ".join(f"{n} {k}" for k, n in sorted(m.events.items())) or "—",
        )
    console.print(table)
    if st.run_events:
        console.print(
            "run events: " + ", ".join(f"{n} {k}" for k, n in sorted(st.run_events.items()))
        )
    if parquet is not None:
        for path in export_parquet(folder, parquet):
            console.print(f"wrote {escape(str(path))}", soft_wrap=True)


@app.command()
def serve(
    folder: Annotated[Path, typer.Argument(help="A run's output folder (its --out).")],
    bind: Annotated[
        str, typer.Option("--bind", help="HOST:PORT to listen on (beyond localhost: API key).")
    ] = DEFAULT_BIND,
) -> None:
    """Serve a run's store over HTTP: the dashboard at /, /health, /ready, /metrics,
    /api/*, /docs."""
    import uvicorn

    from foureyes.server import create_app
    from foureyes.server.live import parse_bind, server_config
    from foureyes.sinks.reader import open_store

    key = os.environ.get("FOUREYES_API_KEY") or None
    host, port = parse_bind(bind, api_key=key)
    open_store(folder)  # a missing or unreadable store is an error, not an empty page
    uvicorn.Server(server_config(create_app(folder, api_key=key), host, port)).run()


@contextmanager
def _bar(console: Console, label: str, *, enabled: bool) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar as a ``progress(done, total)`` callback."""
    if not (enabled and console.is_terminal):
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


_BIND = re.compile(r"^\[?[\w.:-]*\]?:\d+$")


def _serve_default(argv: list[str]) -> list[str]:
    """``--serve`` with no HOST:PORT after it means the default address (click has no
    optional option values)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        out.append(arg)
        if arg == "--serve" and (i + 1 == len(argv) or not _BIND.match(argv[i + 1])):
            out.append(DEFAULT_BIND)
    return out


def main() -> None:
    """Entry point: FourEyes' own errors become one line on stderr and exit code 2."""
    try:
        app(args=_serve_default(sys.argv[1:]))
    except FourEyesError as exc:
        # One line whatever the terminal's width: scripts and tests grep it.
        Console(stderr=True, soft_wrap=True).print(
            f"[red]error:[/] {escape(str(exc))}", highlight=False
        )
        sys.exit(exc.exit_code)
