"""Check ArrayRecord files written by the Rust crate with Python's array_record.

Usage: python interop.py PLAN.json

PLAN.json holds {"cases": [...]}. For each case this script opens
case["file"] with ArrayRecordReader and checks that it holds exactly the
records in case["records"] (a file of repeated u64 little-endian length, then
that many bytes), read in order and in reverse order by index, and that the
footer's writer options string equals case["writer_options"]. When a case
names "python_file", the same records are then written there by
ArrayRecordWriter with case["python_options"], so the caller can compare
bytes.

Exit status: 0 when every case passed, 1 when a check failed, 3 when
array_record cannot be imported.
"""

import json
import struct
import sys

try:
    from array_record.python.array_record_module import (
        ArrayRecordReader,
        ArrayRecordWriter,
    )
except ImportError as error:
    print(
        f"cannot import array_record ({error}); run `cargo xtask ci`, which "
        "creates a virtual environment from tests/requirements.txt, or "
        "`pip install -r tests/requirements.txt`, and point OED_PYTHON at "
        "that Python",
        file=sys.stderr,
    )
    sys.exit(3)


def load_records(path):
    with open(path, "rb") as file:
        data = file.read()
    records = []
    position = 0
    while position < len(data):
        (length,) = struct.unpack_from("<Q", data, position)
        position += 8
        records.append(data[position : position + length])
        position += length
    return records


def first_difference(actual, expected):
    """Return a message about the first differing record, or None."""
    if len(actual) != len(expected):
        return f"read {len(actual)} records, expected {len(expected)}"
    for index, (got, want) in enumerate(zip(actual, expected)):
        if got != want:
            return (
                f"record {index} differs: {len(got)} bytes read, "
                f"{len(want)} bytes expected"
            )
    return None


def check_file(case, expected):
    path = case["file"]
    reader = ArrayRecordReader(path)
    # The constructor does not raise on a bad file; ok() tells.
    if not reader.ok():
        return f"{path}: reader is not ok"
    if reader.num_records() != len(expected):
        return f"{path}: num_records() is {reader.num_records()}, expected {len(expected)}"
    options = reader.writer_options_string()
    if options != case["writer_options"]:
        return f"{path}: writer options {options!r}, expected {case['writer_options']!r}"
    if expected:
        problem = first_difference(reader.read_all(), expected)
        if problem:
            return f"{path}: read_all: {problem}"
        backwards = list(range(len(expected) - 1, -1, -1))
        problem = first_difference(reader.read(backwards)[::-1], expected)
        if problem:
            return f"{path}: reverse index reads: {problem}"
    reader.close()
    return None


def main():
    with open(sys.argv[1]) as file:
        plan = json.load(file)
    failures = []
    for case in plan["cases"]:
        expected = load_records(case["records"])
        problem = check_file(case, expected)
        if problem:
            failures.append(problem)
        if "python_file" in case:
            writer = ArrayRecordWriter(case["python_file"], case["python_options"])
            for record in expected:
                writer.write(record)
            writer.close()
    for problem in failures:
        print(problem, file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
