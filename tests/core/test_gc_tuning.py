import gc

from cashwrap.core import gc_tuning


async def test_serving_freezes_start_up_objects_and_shutdown_gives_them_back() -> None:
    before = gc.get_threshold()
    async with gc_tuning.lifespan(None):
        assert gc.get_freeze_count() > 10_000  # what start-up left alive: modules, models, …
        assert gc.get_threshold()[0] == gc_tuning.YOUNGEST_GENERATION_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
