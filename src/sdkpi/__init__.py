"""sdkpi: after-sales KPIs for car dealerships, from the DMS's monthly exports."""

__version__ = "0.1.0"
