import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  OpenFileRequests,
  hasImageExtension,
  imagePathsFromArgv,
} from '../../../src-main/app/open-files.ts';

const cwd = path.resolve('/home/user/Pictures');
const executable = path.resolve('/opt/Sightline/sightline');

describe('imagePathsFromArgv', () => {
  it('returns the image arguments as absolute paths, in order', () => {
    const argv = [
      executable,
      'beach.JPG',
      path.resolve('/tmp/cat.heic'),
      'notes.txt',
      'sub/dog.webp',
    ];
    expect(imagePathsFromArgv(argv, cwd)).toEqual([
      path.join(cwd, 'beach.JPG'),
      path.resolve('/tmp/cat.heic'),
      path.join(cwd, 'sub/dog.webp'),
    ]);
  });

  it('skips the executable, the dev app folder and switches', () => {
    const argv = [
      path.resolve('/usr/lib/electron/electron.png'),
      '.',
      '--inspect=9229',
      '--allow-file-access-from-files',
      '-v',
      'a.png',
    ];
    expect(imagePathsFromArgv(argv, cwd)).toEqual([path.join(cwd, 'a.png')]);
  });

  it('treats everything after -- as a path, even names starting with a dash', () => {
    expect(imagePathsFromArgv([executable, '--', '-odd.png'], cwd)).toEqual([
      path.join(cwd, '-odd.png'),
    ]);
  });

  it('understands file:// URIs from desktop launchers and ignores other URLs', () => {
    const photo = path.resolve('/home/user/My Photos/été.jpg');
    const argv = [executable, pathToFileURL(photo).href, 'https://example.com/x.jpg'];
    expect(imagePathsFromArgv(argv, cwd)).toEqual([photo]);
  });

  it('drops duplicates and the empty second-instance case', () => {
    expect(imagePathsFromArgv([executable, 'a.png', './a.png'], cwd)).toEqual([
      path.join(cwd, 'a.png'),
    ]);
    expect(imagePathsFromArgv([executable], cwd)).toEqual([]);
    expect(imagePathsFromArgv([], cwd)).toEqual([]);
  });
});

describe('hasImageExtension', () => {
  it('accepts the decodable photo formats, any case, and nothing else', () => {
    for (const name of [
      'a.jpg',
      'a.JPEG',
      'a.png',
      'a.webp',
      'a.avif',
      'a.tif',
      'a.TIFF',
      'a.heic',
      'a.heif',
      'a.gif',
    ]) {
      expect(hasImageExtension(name), name).toBe(true);
    }
    for (const name of ['a.txt', 'a.jpg.exe', 'jpg', 'a.svg', 'a']) {
      expect(hasImageExtension(name), name).toBe(false);
    }
  });
});

describe('OpenFileRequests', () => {
  it('queues files until someone listens, then delivers each batch directly', () => {
    const requests = new OpenFileRequests();
    const first = path.resolve('/a/one.jpg');
    const second = path.resolve('/a/two.png');
    requests.add([first]);
    requests.addFromArgv([executable, second], cwd);
    const listener = vi.fn();
    requests.listen(listener);
    expect(listener.mock.calls).toEqual([[[first, second]]]);
    const third = path.resolve('/b/three.heic');
    requests.add([third]);
    expect(listener.mock.calls).toEqual([[[first, second]], [[third]]]);
  });

  it('remembers every opened image for the photo protocol, and only images', () => {
    const requests = new OpenFileRequests();
    const listener = vi.fn();
    requests.listen(listener);
    expect(
      requests.add([path.resolve('/a/x.jpg'), path.resolve('/a/x.txt'), 'relative.jpg']),
    ).toEqual([path.resolve('/a/x.jpg')]);
    expect([...requests.openedFiles]).toEqual([path.resolve('/a/x.jpg')]);
    requests.add([path.resolve('/a/y.txt')]);
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
