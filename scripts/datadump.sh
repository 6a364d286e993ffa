#!/usr/bin/env bash
# Export every row of the SoftCart OLTP table (sales.sales_data) with mysqldump.
#
# Usage: scripts/datadump.sh [--host H] [--port P] [--user U] [--password PW]
#                            [--database DB] [--table T] [--output FILE]
#
# Each option falls back to an environment variable, then to a default:
#   --host      MYSQL_HOST      127.0.0.1
#   --port      MYSQL_PORT      3306
#   --user      MYSQL_USER      root
#   --password  MYSQL_PWD       (empty)   prefer the variable: arguments show up in `ps`
#   --database  MYSQL_DATABASE  sales
#   --table     MYSQL_TABLE     sales_data
#   --output    DUMP_FILE       ./sales_data.sql
#   MYSQLDUMP   the dump program (default: mysqldump, else mariadb-dump)
#
# The password is handed to mysqldump in a private option file and is never printed. The dump
# is written to a temporary file and moved into place only when mysqldump succeeds, so a failed
# run never leaves a half-written export behind.
set -euo pipefail

die() {
    echo "datadump: error: $*" >&2
    exit 1
}

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
}

host="${MYSQL_HOST:-127.0.0.1}"
port="${MYSQL_PORT:-3306}"
user="${MYSQL_USER:-root}"
password="${MYSQL_PWD:-}"
database="${MYSQL_DATABASE:-sales}"
table="${MYSQL_TABLE:-sales_data}"
output="${DUMP_FILE:-./sales_data.sql}"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --host) host="${2:?--host needs a value}"; shift 2 ;;
        --port) port="${2:?--port needs a value}"; shift 2 ;;
        --user) user="${2:?--user needs a value}"; shift 2 ;;
        --password) password="${2?--password needs a value (it may be empty)}"; shift 2 ;;
        --database) database="${2:?--database needs a value}"; shift 2 ;;
        --table) table="${2:?--table needs a value}"; shift 2 ;;
        --output) output="${2:?--output needs a value}"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[[ "$port" =~ ^[0-9]+$ ]] || die "port '$port' is not a number"

dumper="${MYSQLDUMP:-}"
if [[ -z "$dumper" ]]; then
    dumper="$(command -v mysqldump || command -v mariadb-dump || true)"
fi
if [[ -z "$dumper" ]] || ! command -v "$dumper" > /dev/null; then
    die "mysqldump not found${MYSQLDUMP:+ at '$MYSQLDUMP'}; install the MariaDB/MySQL client" \
        "(e.g. apt-get install mariadb-client) or set MYSQLDUMP to its path"
fi

output_dir="$(dirname -- "$output")"
[[ -d "$output_dir" ]] || die "output directory '$output_dir' does not exist"

# umask 077: the option file holding the password is readable by this user only.
umask 077
options="$(mktemp "${TMPDIR:-/tmp}/datadump.XXXXXX.cnf")"
partial="$(mktemp "$output_dir/.$(basename -- "$output").XXXXXX")"
trap 'rm -f -- "$options" "$partial"' EXIT

escaped_password="${password//\\/\\\\}"
escaped_password="${escaped_password//\"/\\\"}"
{
    echo "[client]"
    echo "host=$host"
    echo "port=$port"
    echo "user=$user"
    echo "protocol=TCP"
    if [[ -n "$password" ]]; then echo "password=\"$escaped_password\""; fi
} > "$options"

# MYSQL_PWD is unset so the option file is the only source of the password.
if ! env -u MYSQL_PWD "$dumper" --defaults-extra-file="$options" \
    --single-transaction --no-tablespaces --skip-dump-date \
    --result-file="$partial" "$database" "$table"; then
    die "mysqldump of $database.$table from $user@$host:$port failed (see the message above)"
fi

chmod 644 "$partial"
mv -f -- "$partial" "$output"
echo "datadump: exported $database.$table from $host:$port to $output ($(wc -c < "$output") bytes)"
