-- A display name an operator chooses for an application on the dashboard;
-- null shows the name its instances report.

alter table applications add column display_name text;
