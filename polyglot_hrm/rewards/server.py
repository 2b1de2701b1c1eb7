"""The node's scoring server: one process per node that every rank's execution reward sends its runs to.

Under ``accelerate launch`` each rank calls its reward with its share of the completions at about the same moment.
With a pool per rank, eight ranks on a 16-core node would start 8 x 16 runs at once; with one server per node they
share one :class:`~.loop.LoopExecutor` — one pool of ``jobs`` workers (one per core by default), provisioning once
per problem, periodic sweeps — and its warm runner caches.

* **Who starts it.** The first rank of the node whose reward needs it and finds no server answering at the path
  (in practice local rank 0 or whichever rank scores first), under a lock file next to the socket so that only one
  starts. It runs :func:`main` of this module in a new Python process, a child of that rank, with that rank's
  environment (the opt-in to run code, the runner cache, ``RAY_ADDRESS``) and the same ``polyglot_hrm``.
* **How ranks find it.** A Unix socket at :func:`polyglot_hrm.settings.reward_server_path`:
  ``$POLYGLOT_HRM_REWARD_SERVER`` if set, else a path under ``<tmp>/polyglot-hrm-rewards-<uid>/`` (a folder only
  this user can enter) derived from the launcher's ``TORCHELASTIC_RUN_ID``/``MASTER_ADDR``/``MASTER_PORT``, the same
  in every rank of one launch and different for two launches. Connections are authenticated with a random key
  written beside the socket (mode 0600).
* **When it dies.** A call in flight fails; the rank reconnects — starting a new server if none answers — and sends
  the call once more. If that fails too, every completion of the call gets ``None`` (not 0) and the error is
  logged; the next call tries again. The server itself exits when the rank that started it exits (it watches its
  parent), taking its sandboxed runs with it; a leftover socket is replaced by the next start.

Requests are pickled over the socket (``multiprocessing.connection``): ``("score", references, candidates,
timeout)`` is answered with :func:`polyglot_hrm.scoring.score`'s result, made in the server exactly as
:class:`~.loop.LocalScorer` makes it here.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import stat
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any, Iterator, Sequence

import polyglot_hrm

from ..execution.executors import Executor, ExecutorError, check_jobs, make_executor
from ..scoring import Scored
from ..settings import REWARD_SERVER_START_S, Timeout, reward_server_path
from .loop import LocalScorer, Scorer

__all__ = ["RemoteScorer", "RewardServerError", "make_scorer", "serve"]

logger = logging.getLogger(__name__)


class RewardServerError(RuntimeError):
    """The node's scoring server could not be reached, started, or answered with an error; says which and why."""


def make_scorer(executor: Any = None, jobs: int | None = None, server: bool | str | Path | None = None) -> Scorer:
    """The scorer for a reward: the node's shared server (``server`` a socket path; None: the one the launch implies,
    :func:`~polyglot_hrm.settings.reward_server_path`, in a multi-process launch only), else this process's own
    :class:`~.loop.LocalScorer`. An executor *object* always stays in this process (it cannot travel to a server)."""
    check_jobs(jobs)
    path = None
    if server is not False and not isinstance(executor, Executor):
        path = Path(server) if isinstance(server, (str, Path)) else reward_server_path()
    if path is None:
        return LocalScorer(make_executor(executor, jobs))
    if executor not in (None, "local", "ray"):
        raise ValueError(f"executor={executor!r}: choose local or ray")
    return RemoteScorer(path, executor or "local", jobs)


def _files(path: Path) -> tuple[Path, Path, Path, Path]:
    """The socket's key, lock and log files."""
    return path, path.with_name(path.name + ".key"), path.with_name(path.name + ".lock"), path.with_name(path.name + ".log")


def _private_folder(folder: Path) -> None:
    """Make ``folder`` (mode 0700) or check that it is this user's alone: a socket in a folder others can write to
    could be replaced by theirs."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise RewardServerError(f"{folder} is not this user's private folder (owner uid {info.st_uid}, mode "
                                f"{stat.S_IMODE(info.st_mode):o}); remove it or point $POLYGLOT_HRM_REWARD_SERVER "
                                f"at a socket in a folder of your own")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class RemoteScorer(Scorer):
    """Sends each call to the node's server at ``path``, starting it when none answers (module docstring)."""

    def __init__(self, path: Path, executor: str = "local", jobs: int | None = None,
                 start_timeout_s: float = REWARD_SERVER_START_S):
        self.path, self.executor, self.jobs = Path(path), executor, jobs
        self.start_timeout_s = start_timeout_s
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self.process: subprocess.Popen | None = None  # the server, where this process started it
        self.starts = 0

    def score(self, references: Sequence[Any], candidates: Sequence[Sequence[Any]],
              timeout: Timeout) -> list[list[Scored]]:
        request = ("score", list(references), [list(c) for c in candidates], timeout)
        with self._lock:
            for attempt in (1, 2):
                try:
                    conn = self._connect()
                    conn.send(request)
                    status, payload = conn.recv()
                except (OSError, EOFError) as err:
                    self._drop()
                    if attempt == 2:
                        raise RewardServerError(f"the reward server at {self.path} failed twice ({type(err).__name__}: "
                                                f"{err}); see {_files(self.path)[3]}") from err
                    logger.warning("reward server at %s: %s: %s; reconnecting (starting a new one if none answers) "
                                   "and sending the call again", self.path, type(err).__name__, err)
                    continue
                if status != "ok":
                    raise RewardServerError(f"the reward server at {self.path} failed the call: {payload}")
                return payload
        raise AssertionError("unreachable")

    def ping(self) -> dict[str, Any]:
        """The server's pid and executor (starting it if none answers)."""
        with self._lock:
            conn = self._connect()
            conn.send(("ping",))
            return conn.recv()[1]

    # ------------------------------------------------------------------ connection

    def _client(self) -> Connection:
        _, key, _, _ = _files(self.path)
        return Client(str(self.path), family="AF_UNIX", authkey=key.read_bytes())

    def _connect(self) -> Connection:
        if self._conn is not None:
            return self._conn
        try:
            self._conn = self._client()
            return self._conn
        except OSError:
            pass
        _private_folder(self.path.parent)
        with _locked(_files(self.path)[2]):
            try:  # another rank may have started it while this one waited for the lock
                self._conn = self._client()
                return self._conn
            except OSError:
                pass
            self._start()
            self._conn = self._wait()
            return self._conn

    def _start(self) -> None:
        sock, key, _, log = _files(self.path)
        sock.unlink(missing_ok=True)  # a dead server's socket: nothing answers on it (checked under the lock)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
        config = json.dumps({"socket": str(sock), "executor": self.executor, "jobs": self.jobs, "parent": os.getpid()})
        # The package this process runs (a checkout or the installed one), first on the server's path: same code.
        code = (f"import sys; sys.path.insert(0, {str(Path(polyglot_hrm.__file__).resolve().parent.parent)!r}); "
                f"from polyglot_hrm.rewards.server import main; main()")
        with open(log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-c", code, config], stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1
        logger.info("started the node's reward server (pid %d, %s executor) at %s; its log: %s", self.process.pid,
                    self.executor, sock, log)

    def _wait(self) -> Connection:
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            try:
                return self._client()
            except OSError as err:
                if self.process is not None and self.process.poll() is not None:
                    raise RewardServerError(f"the reward server exited ({self.process.returncode}) before answering; "
                                            f"see {_files(self.path)[3]}") from err
                if time.monotonic() > deadline:
                    raise RewardServerError(f"no reward server answered at {self.path} within "
                                            f"{self.start_timeout_s:g} s; see {_files(self.path)[3]}") from err
                time.sleep(0.2)

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None

    def close(self) -> None:
        """Close this rank's connection. The server goes on for the other ranks; it ends with the rank that
        started it."""
        with self._lock:
            self._drop()

    def stop_server(self) -> None:
        """Stop the server this process started (tests; the end of a run stops it anyway)."""
        self.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


# ---------------------------------------------------------------------------------------------------- the server

def _handle(conn: Connection, scorer: LocalScorer) -> None:
    with conn:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return
            try:
                if request[0] == "ping":
                    reply: tuple = ("ok", {"pid": os.getpid(), **scorer.executor.describe()})
                elif request[0] == "score":
                    _, references, candidates, timeout = request
                    reply = ("ok", scorer.score(references, candidates, timeout))
                else:
                    reply = ("error", f"unknown request {request[0]!r}")
            except Exception as err:  # noqa: BLE001 - one call's failure is that call's error, not the server's end
                logger.exception("reward server: a call failed")
                reply = ("error", f"{type(err).__name__}: {err}")
            try:
                conn.send(reply)
            except OSError:
                return


def _watch_parent(parent: int, sock: Path) -> None:
    """Exit when the rank that started the server is gone (the server is then reparented)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    logger.info("reward server: its starter (pid %d) is gone; exiting", parent)
    sock.unlink(missing_ok=True)
    os._exit(0)


def serve(socket_path: str | Path, executor: str = "local", jobs: int | None = None,
          parent: int | None = None) -> None:
    """Serve score calls at ``socket_path`` until ``parent`` (a pid) exits, or forever (module docstring)."""
    sock, key, _, _ = _files(Path(socket_path))
    try:
        scorer = LocalScorer(make_executor(executor, jobs))
    except (ValueError, ExecutorError) as err:
        raise RewardServerError(f"reward server: cannot make the {executor} executor: {err}") from err
    listener = Listener(str(sock), family="AF_UNIX", authkey=key.read_bytes())
    os.chmod(sock, 0o600)
    logger.info("reward server: pid %d serving at %s (%s executor, %s jobs)", os.getpid(), sock, executor,
                jobs or "one per core")
    if parent is not None:
        threading.Thread(target=_watch_parent, args=(parent, sock), daemon=True).start()
    while True:
        try:
            conn = listener.accept()
        except OSError as err:  # a client that failed the key, or went away while connecting
            logger.warning("reward server: a connection was refused: %s", err)
            continue
        threading.Thread(target=_handle, args=(conn, scorer), daemon=True).start()


def main(argv: Sequence[str] | None = None) -> None:
    """What :class:`RemoteScorer` starts in a new process (not a command for people: its one argument is
    ``{"socket", "executor", "jobs", "parent"}`` as JSON)."""
    config = json.loads((argv if argv is not None else sys.argv[1:])[0])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(config["socket"], config.get("executor") or "local", config.get("jobs"), config.get("parent"))


if __name__ == "__main__":
    main()
