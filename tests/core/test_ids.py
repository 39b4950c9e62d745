import time
import uuid

from cashwrap.core.ids import new_id


def test_ids_are_canonical_uuid7_strings() -> None:
    for _ in range(1000):
        text = new_id()
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_carry_the_time_so_later_rows_sort_after_earlier_ones() -> None:
    before_ms = time.time_ns() // 1_000_000
    first = new_id()
    time.sleep(0.002)
    second = new_id()
    assert first < second
    assert uuid.UUID(first).int >> 80 in range(before_ms, before_ms + 1000)


def test_ids_do_not_repeat() -> None:
    assert len({new_id() for _ in range(50_000)}) == 50_000
