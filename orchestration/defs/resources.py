"""Configured resources shared by the definition modules."""

from dagster import ConfigurableResource

from orchestration.home import Home
from orchestration.reference import Reference


class WuxingHome(ConfigurableResource):
    """The home folder a run reads returns from and writes results to."""

    root: str

    @property
    def home(self) -> Home:
        return Home.resolve(self.root).ensure()

    def reference(self) -> Reference:
        """The reference data of the home's framework folder (read fresh for every run)."""
        return Reference.load(self.home.framework)
