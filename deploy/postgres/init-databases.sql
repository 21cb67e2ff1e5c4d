-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d), as
-- POSTGRES_USER: one database per service, since no service reads another's tables.
-- Production gives each service its own role owning only its database.
CREATE DATABASE ocop_registration;
CREATE DATABASE ocop_evaluation;
CREATE DATABASE ocop_notification;
