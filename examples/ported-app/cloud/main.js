// Movie reviews: the cloud code of a parse-server app, as it was written for parse-server. It runs
// on Plinth unchanged: `Parse` is the Parse SDK, bound to the backend by `cloud: './cloud/main.js'`.
/* global Parse */

const MAX_REVIEW_LENGTH = 500;

// Reviews: one to five stars, written by a logged-in user, readable by all, editable by the author.
Parse.Cloud.beforeSave(
  'Review',
  async (request) => {
    const review = request.object;
    const stars = review.get('stars');
    if (!Number.isInteger(stars) || stars < 1 || stars > 5) {
      throw new Parse.Error(Parse.Error.VALIDATION_ERROR, 'stars must be a whole number from 1 to 5');
    }
    const config = await Parse.Config.get({ useMasterKey: true });
    const maxLength = config.get('maxReviewLength') ?? MAX_REVIEW_LENGTH;
    if ((review.get('text') ?? '').length > maxLength) {
      throw new Parse.Error(Parse.Error.VALIDATION_ERROR, `a review has at most ${maxLength} characters`);
    }
    if (!review.existed()) {
      review.set('author', request.user);
      const acl = new Parse.ACL(request.user);
      acl.setPublicReadAccess(true);
      review.setACL(acl);
    }
  },
  { requireUser: true, fields: { movie: { required: true } } },
);

// After each review, the movie's average and count are worked out again.
Parse.Cloud.afterSave('Review', async (request) => {
  const movie = request.object.get('movie');
  const reviews = await new Parse.Query('Review').equalTo('movie', movie).find({ useMasterKey: true });
  const total = reviews.reduce((sum, review) => sum + review.get('stars'), 0);
  movie.set('reviewCount', reviews.length);
  movie.set('averageStars', reviews.length ? total / reviews.length : 0);
  await movie.save(null, { useMasterKey: true });
});

// A movie's reviews go with it.
Parse.Cloud.afterDelete('Movie', async (request) => {
  const reviews = await new Parse.Query('Review').equalTo('movie', request.object).find({ useMasterKey: true });
  await Parse.Object.destroyAll(reviews, { useMasterKey: true });
});

Parse.Cloud.define('topMovies', async (request) => {
  const query = new Parse.Query('Movie');
  query.descending('averageStars');
  query.limit(request.params.limit ?? 3);
  const movies = await query.find({ useMasterKey: true });
  return movies.map((movie) => ({ title: movie.get('title'), averageStars: movie.get('averageStars') }));
});

// The caller's own reviews, read as the caller (its session, its permissions).
Parse.Cloud.define(
  'myReviews',
  async (request) => {
    const query = new Parse.Query('Review');
    query.equalTo('author', request.user);
    query.include('movie');
    return query.find({ sessionToken: request.user.getSessionToken() });
  },
  { requireUser: true },
);

// A maintenance job: counts every movie's reviews again.
Parse.Cloud.job('recountReviews', async (request) => {
  request.message('recounting');
  const movies = await new Parse.Query('Movie').find({ useMasterKey: true });
  for (const movie of movies) {
    movie.set('reviewCount', await new Parse.Query('Review').equalTo('movie', movie).count({ useMasterKey: true }));
  }
  await Parse.Object.saveAll(movies, { useMasterKey: true });
  return `recounted ${movies.length} movies`;
});

// The app's settings: a review length limit below ten characters is refused.
Parse.Cloud.beforeSave(Parse.Config, (request) => {
  const maxLength = request.object.get('maxReviewLength');
  if (maxLength !== undefined && (typeof maxLength !== 'number' || maxLength < 10)) {
    throw new Parse.Error(Parse.Error.VALIDATION_ERROR, 'maxReviewLength must be a number of at least 10');
  }
});
