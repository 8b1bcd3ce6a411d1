"""Alembic migrations of the store, run through :meth:`zhengai.store.Store.upgrade`."""
