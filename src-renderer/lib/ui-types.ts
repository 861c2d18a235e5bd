// Small shared vocabulary between the app shell and its components.

/** Why a photo was opened: decides what the photo view focuses or starts. */
export type PhotoIntent = 'view' | 'ask' | 'describe';

export type MenuAction = 'describe' | 'ask' | 'copy-caption' | 'find-similar' | 'show-in-folder';

export type MainView = 'library' | 'duplicates' | 'indexing' | 'models';
