"""A throw-away PostgreSQL cluster for the integration tests (tests/unit/store/pg_cluster.sh:
a private Unix socket, fsync on) and a deployment's config pointed at it."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PG_CLUSTER = os.path.join(HERE, "..", "unit", "store", "pg_cluster.sh")


class PgCluster:
    """A throw-away PostgreSQL cluster on a private socket (pg_cluster.sh)."""

    def __init__(self):
        self.state = tempfile.mkdtemp(prefix="hsm2fa-it-pg-")
        proc = self.run("setup", check=False)
        if proc.returncode != 0:
            shutil.rmtree(self.state, ignore_errors=True)
            raise AssertionError(f"pg_cluster.sh setup exited {proc.returncode}: "
                                 f"{proc.stderr.strip()[-2000:]}")
        skip = os.path.join(self.state, "skip")
        if os.path.exists(skip):
            with open(skip) as f:
                reason = f.read().strip()
            self.remove()
            print(f"hsm2fa-integration-skipped: {reason}", file=sys.stderr)
            raise unittest.SkipTest(reason)
        with open(os.path.join(self.state, "url")) as f:
            self.url = f.read().strip()

    def run(self, command, check=True):
        proc = subprocess.run(["bash", PG_CLUSTER, command, self.state], capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(f"pg_cluster.sh {command} exited {proc.returncode}: "
                                 f"{proc.stderr.strip()[-2000:]}")
        return proc

    def remove(self):
        self.run("teardown", check=False)
        shutil.rmtree(self.state, ignore_errors=True)


def use_postgres(deployment, url, instance):
    """Rewrites the deployment's config for the shared database and names the instance."""
    with open(deployment.config) as f:
        text = f.read()
    sqlite_line = f'url = "sqlite:{deployment.tmp}/hsm2fa.db"'
    assert sqlite_line in text, "the harness's config has no SQLite store line to replace"
    text = text.replace(sqlite_line, f'url = "{url}&pool_size=4"')
    text += f'\n[audit]\ninstance = "{instance}"\n'
    with open(deployment.config, "w") as f:
        f.write(text)
