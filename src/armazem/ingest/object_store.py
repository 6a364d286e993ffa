"""Objects under an `s3://bucket/prefix` on AWS or any S3-compatible endpoint (MinIO, moto,
localbucket), through pyarrow's own S3 client: list them, open them, and read them with the same
readers as local files.

Credentials come only from the standard environment variables AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN if temporary) and AWS_REGION (or AWS_DEFAULT_REGION),
never from a settings file. Every S3 failure the user can fix (endpoint unreachable, bucket
missing, credentials refused) becomes an ArmazemError naming the problem and the fix.

The readers are those of `files`, so local and remote files parse alike: `files.read_documents`
and `files.read_access_logs` use only a path's `.name` and `.open("rb")`, which `RemoteFile` has;
`files.read_csv` hands each path to `pyarrow.csv.open_csv`, so it gets an open stream with a
`.name` instead (`read_csv_s3`). Both rely on duck typing until files.py types its arguments as
"a Path or anything with `.name` and `.open()`".
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from armazem.errors import ArmazemError
from armazem.ingest import files
from armazem.ingest.batches import Reader

CONNECT_TIMEOUT = 5.0  # seconds to open a connection to the endpoint
REQUEST_TIMEOUT = 60.0  # seconds one request may stay silent
MAX_ATTEMPTS = 3  # pyarrow's own retries of a failed request
DEFAULT_REGION = "us-east-1"
CREDENTIALS_FIX = (
    "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys) "
    "with keys the endpoint accepts and that may use the bucket; never put them in armazem.toml"
)
# Fragments of pyarrow's error messages (AWS SDK error names) and what they mean to the user.
_UNREACHABLE = ("NETWORK_CONNECTION", "curlCode", "Could not connect", "Couldn't connect",
                "timed out", "Timeout", "Could not resolve")  # fmt: skip
_NO_BUCKET = ("NO_SUCH_BUCKET",)
_REFUSED = ("ACCESS_DENIED", "INVALID_ACCESS_KEY_ID", "SIGNATURE_DOES_NOT_MATCH",
            "EXPIRED_TOKEN", "INVALID_CLIENT_TOKEN_ID", "UNRECOGNIZED_CLIENT")  # fmt: skip


def split_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` as (bucket, "some/prefix"); the prefix may be empty."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ArmazemError(
            f"{url!r} is not an s3://bucket/prefix URL", "write it as s3://BUCKET/PREFIX"
        )
    return parts.netloc, parts.path.strip("/")


def s3_filesystem(endpoint_url: str | None = None) -> pafs.S3FileSystem:
    """pyarrow's S3 client for AWS (no endpoint) or an S3-compatible endpoint such as
    `http://127.0.0.1:9000`, with path-style addressing, short timeouts and few retries, so an
    unreachable endpoint fails in seconds rather than after the SDK's long default backoff."""
    key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise ArmazemError(
            "no S3 credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set",
            CREDENTIALS_FIX,
        )
    options: dict[str, object] = {}
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        options = {"endpoint_override": parts.netloc, "scheme": parts.scheme or "https"}
    return pafs.S3FileSystem(
        access_key=key,
        secret_key=secret,
        session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
        region=os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION,
        connect_timeout=CONNECT_TIMEOUT,
        request_timeout=REQUEST_TIMEOUT,
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=MAX_ATTEMPTS),
        allow_bucket_creation=False,
        allow_bucket_deletion=False,
        **options,
    )


@contextmanager
def s3_errors(action: str, bucket: str, endpoint_url: str | None) -> Iterator[None]:
    """Turn the S3 failures a user can fix into ArmazemErrors; `action` says what was being done
    ("listing s3://b/p"). A plain missing object (FileNotFoundError) is left to the caller."""
    try:
        yield
    except OSError as exc:
        raise _translate(exc, action, bucket, endpoint_url) from None


def missing_bucket(bucket: str, endpoint_url: str | None, action: str) -> ArmazemError:
    endpoint = f" --endpoint-url {endpoint_url}" if endpoint_url else ""
    return ArmazemError(
        f"bucket {bucket!r} does not exist on {endpoint_url or 'AWS S3'} ({action})",
        f"create it (e.g. `aws s3 mb s3://{bucket}{endpoint}`) or correct the s3:// URL",
    )


def _translate(exc: OSError, action: str, bucket: str, endpoint_url: str | None) -> Exception:
    text = str(exc)
    where = endpoint_url or "AWS S3"
    if any(m in text for m in _UNREACHABLE):
        return ArmazemError(
            f"S3 endpoint {where} is unreachable while {action} ({_first_line(text)})",
            "start the S3 server, or correct s3_endpoint_url (ARMAZEM_S3_ENDPOINT_URL)",
        )
    if any(m in text for m in _NO_BUCKET):
        return missing_bucket(bucket, endpoint_url, action)
    if any(m in text for m in _REFUSED):
        return ArmazemError(
            f"{where} refused the credentials or access to bucket {bucket!r} while {action} "
            f"({_first_line(text)})",
            CREDENTIALS_FIX,
        )
    if isinstance(exc, FileNotFoundError):
        return exc
    return ArmazemError(
        f"S3 error on {where} while {action}: {_first_line(text)}",
        "check the endpoint, the bucket and the credentials; retry if the error was transient",
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no detail"


@dataclass(frozen=True)
class RemoteFile:
    """One object, shaped like the part of `pathlib.Path` the file readers use."""

    filesystem: pafs.FileSystem
    path: str  # "bucket/key", pyarrow's spelling
    size: int | None = None
    endpoint_url: str | None = None  # for error messages only

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def open(self, mode: str = "rb") -> BinaryIO:
        """A buffered binary stream (iterable by lines); compressed objects (.gz, .zst, ...) are
        decompressed by their extension, as pyarrow does for local files."""
        if mode != "rb":
            raise ValueError(f"remote files open only for binary reading, not {mode!r}")
        return cast(BinaryIO, BufferedReader(self.stream()))

    def stream(self) -> pa.NativeFile:
        """pyarrow's own (unbuffered) stream, decompressed by extension like `open`."""
        bucket = self.path.split("/", 1)[0]
        with s3_errors(f"opening s3://{self.path}", bucket, self.endpoint_url):
            return self.filesystem.open_input_stream(self.path)


class ObjectStore:
    """The objects under one `s3://bucket/prefix`."""

    def __init__(
        self,
        url: str,
        endpoint_url: str | None = None,
        filesystem: pafs.FileSystem | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.bucket, self.prefix = split_s3_url(url)
        self.endpoint_url = endpoint_url
        self.filesystem = filesystem if filesystem is not None else s3_filesystem(endpoint_url)

    def key(self, relative: str = "") -> str:
        """pyarrow's path ("bucket/prefix/relative") of an object or folder under the prefix."""
        return "/".join(p for p in (self.bucket, self.prefix, relative.strip("/")) if p)

    def errors(self, action: str) -> AbstractContextManager[None]:
        return s3_errors(action, self.bucket, self.endpoint_url)

    def check_bucket(self) -> None:
        """Fail early, with the fix, when the endpoint, the bucket or the credentials are wrong."""
        with self.errors(f"checking bucket {self.bucket!r}"):
            info = self.filesystem.get_file_info(self.bucket)
        if info.type == pafs.FileType.NotFound:
            raise missing_bucket(self.bucket, self.endpoint_url, "checking it")

    def list(self, relative: str = "", recursive: bool = False) -> list[pafs.FileInfo]:
        """Objects (not folders) under `relative`, in key order; nothing for a missing folder."""
        selector = pafs.FileSelector(self.key(relative), recursive=recursive, allow_not_found=True)
        with self.errors(f"listing {self.url}/{relative}".rstrip("/")):
            infos = self.filesystem.get_file_info(selector)
        return sorted((i for i in infos if i.type == pafs.FileType.File), key=lambda i: i.path)

    def matching(
        self,
        relative: str,
        pattern: str,
        since: str | None = None,
        dates: files.DateRange | None = None,
    ) -> list[RemoteFile]:
        """Like `files.matching`: the objects directly under `relative` whose name matches the
        glob `pattern`, in name order, from the name `since` on or of the days `dates`. Nothing
        at all under the folder is a user error (on S3 an empty folder and a mistyped one look
        the same)."""
        found = self.list(relative)
        if not found:
            self.check_bucket()
            raise ArmazemError(f"no objects under {self.url}/{relative}", "check the s3:// URL")
        return [
            RemoteFile(self.filesystem, i.path, i.size, self.endpoint_url)
            for i in found
            if fnmatch.fnmatchcase(i.base_name, files.file_glob(pattern))
            and (since is None or i.base_name >= since)
            and (dates is None or dates.holds(i.base_name, pattern))
        ]

    def read_bytes(self, relative: str) -> bytes:
        """A whole (small) object; FileNotFoundError when it does not exist."""
        with (
            self.errors(f"reading {self.url}/{relative}"),
            self.filesystem.open_input_stream(self.key(relative), compression=None) as stream,
        ):
            return stream.read()


def read_csv_s3(
    remote: Iterable[RemoteFile],
    columns: list[str],
    header: bool = True,
    delimiter: str = ",",
    encoding: str = "utf8",
    block_size: int = 16 << 20,
) -> Reader:
    """`files.read_csv` over objects: each is opened in turn as a stream named like the object,
    which `pyarrow.csv.open_csv` reads as it would a local file."""
    return files.read_csv(_named_streams(remote), columns, header, delimiter, encoding, block_size)


def read_documents_s3(
    remote: Iterable[RemoteFile], fields: dict[str, str], rest: str | None, batch_size: int
) -> Reader:
    """`files.read_documents` over objects (JSON lines)."""
    return files.read_documents(_as_paths(remote), fields, rest, batch_size)


def read_access_logs_s3(remote: Iterable[RemoteFile], batch_size: int) -> Reader:
    """`files.read_access_logs` over objects (combined-format logs)."""
    return files.read_access_logs(_as_paths(remote), batch_size)


class NamedStream(BufferedReader):
    """An open object with the `.name` the readers put in `source_file` and in reasons."""

    def __init__(self, item: RemoteFile) -> None:
        super().__init__(item.stream())
        self._object_name = item.name

    @property
    def name(self) -> str:  # type: ignore[override]
        return self._object_name


def _named_streams(remote: Iterable[RemoteFile]) -> Iterator[Path]:
    """One open stream at a time: each is closed when the reader asks for the next."""
    for item in remote:
        with NamedStream(item) as stream:
            yield cast(Path, stream)  # files.read_csv uses only `.name` and hands it to open_csv


def _as_paths(remote: Iterable[RemoteFile]) -> Iterable[Path]:
    # The readers use only `.name` and `.open("rb")`, which RemoteFile provides.
    return cast(Iterable[Path], remote)
