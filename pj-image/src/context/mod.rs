//! Build contexts: the local files and directories an image copies in.
