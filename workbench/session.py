"""The open connection: its spec and the services that talk to it (admin; ZooKeeper when the profile has one)."""

from __future__ import annotations

import dataclasses

from workbench.services.admin import AdminService
from workbench.services.connection import ConnectionSpec
from workbench.services.zk import ZkBrowser


@dataclasses.dataclass
class Session:
    spec: ConnectionSpec
    admin: AdminService
    zk: ZkBrowser | None = None
    failed: bool = False  # the last refresh could not reach the cluster: retry until it can

    @property
    def read_only(self) -> bool:
        return self.spec.read_only

    async def close(self) -> None:
        self.admin.close()
        if self.zk is not None:
            zk, self.zk = self.zk, None
            await zk.stop()
