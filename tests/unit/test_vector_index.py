from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from spendrail.cache.index import IndexedEntry, VectorIndex, decode_vector, encode_vector

DIMS = 4
NOW = 1_800_000_000  # epoch seconds
LATER = NOW + 3600


def entry(key: str, created_at: int = 1, expires_at: int = LATER) -> IndexedEntry:
    return IndexedEntry(
        key=key,
        prompt=f"question {key}",
        reply=f"answer {key}",
        cost_nanos=1_000,
        model="mistralai/mistral-small",
        created_at=created_at,
        expires_at=expires_at,
    )


def vec(*values: float) -> npt.NDArray[np.float64]:
    return np.array(values, dtype=np.float64)


def rows(*vectors: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.stack(vectors)


def keys(hits: list[tuple[float, IndexedEntry]]) -> list[str]:
    return [e.key for _, e in hits]


def test_the_closest_cached_question_comes_first_and_distant_ones_are_not_hits() -> None:
    # Given three cached questions, one close to the query, one a bit further, one unrelated
    index = VectorIndex(DIMS, max_entries=10)
    index.add(
        [entry("close"), entry("near"), entry("far")],
        rows(vec(1, 0.1, 0, 0), vec(1, 0.5, 0, 0), vec(0, 0, 1, 0)),
    )
    # When searching with a threshold that admits the first two
    hits = index.search(vec(2, 0, 0, 0), threshold=0.85, now=NOW)
    # Then the closest comes first, with its cosine, and the unrelated one is not returned
    assert keys(hits) == ["close", "near"]
    assert hits[0][0] == pytest.approx(1 / np.sqrt(1.01), rel=1e-6)
    assert hits[0][0] > hits[1][0] >= 0.85
    assert hits[0][1].reply == "answer close"


def test_no_more_than_k_hits_are_returned_and_they_are_the_best() -> None:
    index = VectorIndex(DIMS, max_entries=100)
    angles = np.linspace(0, 0.5, 20)  # radians away from the query, growing with i
    index.add([entry(f"e{i}") for i in range(20)], np.stack([vec(np.cos(a), np.sin(a), 0, 0) for a in angles]))
    hits = index.search(vec(1, 0, 0, 0), threshold=0.0, now=NOW, k=3)
    assert keys(hits) == ["e0", "e1", "e2"]


def test_expired_answers_are_never_served_and_are_removed() -> None:
    # Given a fresh and an expired answer to the same question
    index = VectorIndex(DIMS, max_entries=10)
    same = vec(1, 0, 0, 0)
    index.add([entry("stale", expires_at=NOW), entry("fresh", expires_at=LATER)], rows(same, same))
    # Then only the fresh one is served
    assert keys(index.search(vec(1, 0, 0, 0), threshold=0.9, now=NOW)) == ["fresh"]
    # And removing expired entries drops the stale one only, once
    assert index.remove_expired(NOW) == 1
    assert index.remove_expired(NOW) == 0
    assert len(index) == 1
    # And the remaining one is still found after the rows moved
    assert keys(index.search(vec(1, 0, 0, 0), threshold=0.9, now=NOW)) == ["fresh"]


def test_removing_expired_entries_keeps_every_survivor_findable() -> None:
    index = VectorIndex(DIMS, max_entries=10)
    directions = np.eye(DIMS)
    index.add(
        [entry(f"e{i}", expires_at=NOW if i % 2 == 0 else LATER) for i in range(DIMS)],
        directions,
    )
    assert index.remove_expired(NOW) == 2
    for i in (1, 3):
        assert keys(index.search(directions[i], threshold=0.99, now=NOW)) == [f"e{i}"]
    # A survivor's key still counts as present
    index.add([entry("e1")], rows(vec(0, 0, 1, 0)))
    assert len(index) == 2


def test_an_entry_already_cached_is_not_added_twice() -> None:
    index = VectorIndex(DIMS, max_entries=10)
    index.add([entry("a")], rows(vec(1, 0, 0, 0)))
    # A re-sync brings "a" again (with another vector) and a batch repeats "b": the first of each wins
    index.add([entry("a"), entry("b"), entry("b")], rows(vec(0, 1, 0, 0), vec(0, 0, 1, 0), vec(0, 0, 0, 1)))
    assert len(index) == 2
    assert keys(index.search(vec(1, 0, 0, 0), threshold=0.9, now=NOW)) == ["a"]
    assert keys(index.search(vec(0, 0, 1, 0), threshold=0.9, now=NOW)) == ["b"]
    assert index.search(vec(0, 1, 0, 0), threshold=0.9, now=NOW) == []


def test_at_the_bound_the_oldest_created_answers_are_evicted_and_memory_stops_growing() -> None:
    # Given a full index of 4 answers created at times 10..13
    index = VectorIndex(DIMS, max_entries=4)
    directions = np.eye(DIMS)
    index.add([entry(f"old{i}", created_at=10 + i) for i in range(4)], directions)
    full = index.memory_bytes
    # When two newer answers arrive with one older than everything kept
    index.add(
        [entry("new0", created_at=20), entry("new1", created_at=21), entry("ancient", created_at=1)],
        rows(vec(1, 1, 0, 0), vec(0, 0, 1, 1), vec(1, 0, 1, 0)),
    )
    # Then the two oldest are gone, the ancient newcomer is not kept, and the index stays at its bound
    assert len(index) == 4
    assert index.search(directions[0], threshold=0.99, now=NOW) == []
    assert index.search(directions[1], threshold=0.99, now=NOW) == []
    assert keys(index.search(directions[2], threshold=0.99, now=NOW)) == ["old2"]
    assert keys(index.search(vec(1, 1, 0, 0), threshold=0.99, now=NOW)) == ["new0"]
    assert keys(index.search(vec(0, 0, 1, 1), threshold=0.99, now=NOW)) == ["new1"]
    assert index.search(vec(1, 0, 1, 0), threshold=0.99, now=NOW) == []
    # And an evicted key may come back later as a new entry
    index.add([entry("old0", created_at=30)], rows(directions[0]))
    assert keys(index.search(directions[0], threshold=0.99, now=NOW)) == ["old0"]
    # And many more batches leave memory exactly where it was when full (same-sized entries)
    for batch in range(50):
        index.add(
            [entry(f"b{batch:02}{j}", created_at=100 + batch * 3 + j) for j in range(3)],
            np.random.default_rng(batch).standard_normal((3, DIMS)),
        )
    assert len(index) == 4
    assert index.memory_bytes == full


def test_a_batch_larger_than_the_bound_keeps_its_newest_entries() -> None:
    index = VectorIndex(DIMS, max_entries=2)
    index.add([entry(f"e{i}", created_at=i) for i in range(DIMS)], np.eye(DIMS))
    assert len(index) == 2
    assert keys(index.search(np.ones(DIMS), threshold=0.1, now=NOW)) == ["e2", "e3"]


def test_the_watermark_is_the_newest_creation_time_seen_and_never_goes_back() -> None:
    index = VectorIndex(DIMS, max_entries=1)
    assert index.watermark == 0
    index.add([entry("a", created_at=500, expires_at=NOW), entry("b", created_at=300)], np.eye(DIMS)[:2])
    assert index.watermark == 500
    index.add([entry("c", created_at=400)], np.eye(DIMS)[2:3])
    assert index.watermark == 500
    # Entries dropped by expiry or eviction are not fetched again by the next sync
    index.remove_expired(NOW)
    assert index.watermark == 500


def test_a_zero_vector_matches_nothing_and_produces_no_nan() -> None:
    index = VectorIndex(DIMS, max_entries=10)
    with np.errstate(divide="raise", invalid="raise"):  # a division by zero or a new NaN would raise here
        index.add(
            [entry("zero"), entry("tiny"), entry("nan"), entry("real")],
            rows(vec(0, 0, 0, 0), vec(1e-35, 0, 0, 0), vec(np.nan, 1, 0, 0), vec(1, 0, 0, 0)),
        )
        # Only the real entry is stored; a zero query finds nothing even with the loosest threshold
        assert len(index) == 1
        assert index.search(vec(0, 0, 0, 0), threshold=-1.0, now=NOW) == []
        hits = index.search(vec(1, 0, 0, 0), threshold=-1.0, now=NOW)
    assert keys(hits) == ["real"]
    assert all(np.isfinite(score) for score, _ in hits)


def test_an_empty_index_finds_nothing() -> None:
    assert VectorIndex(DIMS, max_entries=10).search(vec(1, 0, 0, 0), threshold=0.0, now=NOW) == []


@pytest.mark.parametrize("shape", [(1, DIMS + 1), (1, DIMS - 1), (DIMS,)])
def test_vectors_of_another_dimension_are_refused(shape: tuple[int, ...]) -> None:
    index = VectorIndex(DIMS, max_entries=10)
    with pytest.raises(ValueError, match="dimensions"):
        index.add([entry("a")], np.ones(shape))
    with pytest.raises(ValueError, match="dimensions"):
        index.search(np.ones(DIMS + 1), threshold=0.5, now=NOW)
    with pytest.raises(ValueError, match="entries but"):
        index.add([entry("a"), entry("b")], np.ones((1, DIMS)))
    assert len(index) == 0


def test_meaningless_arguments_are_refused_and_an_empty_batch_changes_nothing() -> None:
    with pytest.raises(ValueError, match="positive"):
        VectorIndex(0, max_entries=10)
    with pytest.raises(ValueError, match="positive"):
        VectorIndex(DIMS, max_entries=0)
    index = VectorIndex(DIMS, max_entries=10)
    index.add([], np.empty((0, DIMS)))
    assert (len(index), index.watermark) == (0, 0)
    with pytest.raises(ValueError, match="k must be positive"):
        index.search(vec(1, 0, 0, 0), threshold=0.5, now=NOW, k=0)
    with pytest.raises(ValueError, match="one non-empty vector"):
        encode_vector(np.ones((2, DIMS)))


def test_float16_storage_round_trips_within_its_precision() -> None:
    rng = np.random.default_rng(7)
    for original in rng.standard_normal((50, 512)):
        data = encode_vector(original)
        assert len(data) == 1024  # 2 bytes per dimension
        decoded = decode_vector(data, 512)
        assert decoded.dtype == np.float32
        cosine = float(decoded @ original) / float(np.linalg.norm(decoded) * np.linalg.norm(original))
        assert cosine > 0.9999


def test_float16_storage_is_little_endian_and_unit_length() -> None:
    assert encode_vector(vec(3, 0, 0, 4)) == np.array([0.6, 0, 0, 0.8], dtype="<f2").tobytes()
    # Vectors beyond float16's range still encode (scaled first)
    assert np.allclose(decode_vector(encode_vector(vec(1e6, 1e6, 0, 0)), DIMS), [0.7071, 0.7071, 0, 0], atol=1e-3)


@pytest.mark.parametrize("size", [0, 7, 9, 1026])
def test_stored_vectors_of_the_wrong_length_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="bytes"):
        decode_vector(b"\x00" * size, DIMS)
