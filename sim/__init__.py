"""arcsim: a discrete-event simulator of extension security on Azure Arc-enabled server fleets."""

__version__ = "0.1.0"
