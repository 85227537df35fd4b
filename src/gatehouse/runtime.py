"""What one Gatehouse process holds for its lifetime: settings, database, crypto helpers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request

from gatehouse.crypto.passwords import PasswordHasher
from gatehouse.crypto.sealing import Sealer
from gatehouse.environments.models import Environment
from gatehouse.settings import Settings
from gatehouse.store.db import create_engine, session_factory
from gatehouse.store.shared_reads import SharedReads


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    sealer: Sealer
    hasher: PasswordHasher

    environments: SharedReads

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        engine = create_engine(settings)
        # one query at a time reads the rows every request is waiting for
        environments = SharedReads(create_engine(settings, connections=1), Environment)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine, environments),
            environments=environments,
            sealer=Sealer(settings.master_key()),
            hasher=PasswordHasher(
                settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
            ),
        )

    async def close(self) -> None:
        await self.environments.close()
        await self.engine.dispose()


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime
