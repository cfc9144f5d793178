DROP TABLE pad_versions;
DROP TABLE pad_updates;
DROP TABLE pad_documents;
DROP TABLE pads;
