"""The published lake on HDFS (`lake_url = "hdfs://namenode:8020/path"`), through pyarrow's
HadoopFileSystem.

pyarrow talks to HDFS through Hadoop's own client library, libhdfs, which loads a JVM and needs
Hadoop's jars: JAVA_HOME, HADOOP_HOME (or ARROW_LIBHDFS_DIR, the folder of libhdfs.so) and
CLASSPATH (`hadoop classpath --glob`). Without them the lake cannot be published, and the ingest
says so in one line before it touches the warehouse.

`HdfsStore` is an `ObjectStore` whose paths are HDFS paths, so the publisher (`remote_lake`)
commits a load the same way on both: data files first, the manifest last.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import urlsplit

import pyarrow.fs as pafs

from armazem.errors import ArmazemError
from armazem.ingest.object_store import ObjectStore

LIBHDFS_FIX = (
    "install a Hadoop client on this machine and export JAVA_HOME, HADOOP_HOME (or "
    "ARROW_LIBHDFS_DIR, the folder holding libhdfs.so) and CLASSPATH=$(hadoop classpath --glob); "
    "or unset lake_url to keep the lake local"
)
# pyarrow's messages when the JVM or libhdfs cannot be loaded.
_NOT_LOADABLE = ("Unable to load libjvm", "Unable to load libhdfs", "Prior attempt to load libhdfs")


def hdfs_filesystem(url: str) -> pafs.FileSystem:
    """pyarrow's client of the namenode that an `hdfs://` URL names (`hdfs:///path`: the default
    namenode of the Hadoop configuration). An ArmazemError when libhdfs cannot be loaded."""
    parts = urlsplit(url)
    try:
        return pafs.HadoopFileSystem(parts.hostname or "default", parts.port or 0)
    except OSError as exc:
        text = str(exc)
        if any(marker in text for marker in _NOT_LOADABLE):
            reason = text.strip().splitlines()[0]
            raise ArmazemError(
                f"lake_url {url} needs Hadoop's libhdfs, which pyarrow cannot load ({reason})",
                LIBHDFS_FIX,
            ) from None
        raise ArmazemError(
            f"cannot reach HDFS at {url}: {text.strip().splitlines()[0]}",
            "check that the namenode runs and that lake_url names its host and port",
        ) from None


class HdfsStore(ObjectStore):
    """The files under one `hdfs://namenode:port/path`."""

    def __init__(self, url: str, filesystem: pafs.FileSystem | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "hdfs" or not parts.path.strip("/"):
            raise ArmazemError(f"{url!r} is not an hdfs://namenode:port/path URL",
                               "write it as hdfs://NAMENODE:8020/PATH")  # fmt: skip
        self.url = url.rstrip("/")
        self.bucket, self.prefix = "", parts.path.strip("/")
        self.endpoint_url = None
        self.filesystem = filesystem if filesystem is not None else hdfs_filesystem(url)

    def key(self, relative: str = "") -> str:
        """The absolute HDFS path of a file or folder under the lake's folder."""
        return "/" + "/".join(p for p in (self.prefix, relative.strip("/")) if p)

    def errors(self, action: str) -> AbstractContextManager[None]:
        return _hdfs_errors(action, self.url)

    def check_bucket(self) -> None:
        """HDFS has no bucket: reach the namenode, so a wrong host fails before any upload."""
        with self.errors("reaching the namenode"):
            self.filesystem.get_file_info("/")


@contextmanager
def _hdfs_errors(action: str, url: str) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        raise
    except OSError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"
        raise ArmazemError(
            f"HDFS error on {url} while {action}: {detail}",
            "check the namenode, the folder's permissions and the free space; then rerun",
        ) from None
