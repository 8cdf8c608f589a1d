"""entsoe-backfill's core: the pure domain, the ports and the application services.

Nothing here does I/O or imports a framework; adapters and entry points depend on this
package, never the other way round.
"""

__version__ = "0.1.0"
