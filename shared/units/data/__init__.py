# Makes data/ a package so setuptools' package-data ("*.csv") ships the CSV in wheels.
